import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from './db.js';
import { prepared } from './prepared.js';
import { nodes } from './schema.js';

export type NodeRow = typeof nodes.$inferSelect;

/**
 * Takes the node's lease for `owner` if it is free, expired, or already ours. Returns the node
 * as it is now, or null when another live owner holds it (or the node does not exist).
 */
export async function acquireLease(
  db: DbOrTx,
  nodeUuid: string,
  owner: string,
  ttlMs: number,
  purpose: string,
): Promise<NodeRow | null> {
  const [row] = await prepared(db, 'acquire_lease', (db, name) =>
    db
      .update(nodes)
      .set({
        leaseOwner: sql`${sql.placeholder('owner')}`,
        leaseExpiresAt: sql`now() + ${sql.placeholder('ttl')} * interval '1 millisecond'`,
        leasePurpose: sql`${sql.placeholder('purpose')}`,
      })
      .where(
        and(
          eq(nodes.uuid, sql.placeholder('uuid')),
          or(
            isNull(nodes.leaseOwner),
            eq(nodes.leaseOwner, sql.placeholder('owner')),
            lt(nodes.leaseExpiresAt, sql`now()`),
          ),
        ),
      )
      .returning()
      .prepare(name),
  ).execute({ owner, ttl: ttlMs, purpose, uuid: nodeUuid });
  return row ?? null;
}

/** Extends the leases `owner` still holds; returns the uuids it still holds. */
export async function renewLeases(
  db: DbOrTx,
  owner: string,
  nodeUuids: string[],
  ttlMs: number,
): Promise<Set<string>> {
  if (nodeUuids.length === 0) return new Set();
  const rows = await db
    .update(nodes)
    .set({ leaseExpiresAt: sql`now() + ${ttlMs} * interval '1 millisecond'` })
    .where(and(inArray(nodes.uuid, nodeUuids), eq(nodes.leaseOwner, owner)))
    .returning({ uuid: nodes.uuid });
  return new Set(rows.map((r) => r.uuid));
}

export async function releaseLease(db: DbOrTx, nodeUuid: string, owner: string): Promise<void> {
  await prepared(db, 'release_lease', (db, name) =>
    db
      .update(nodes)
      .set({ leaseOwner: null, leaseExpiresAt: null, leasePurpose: null })
      .where(
        and(
          eq(nodes.uuid, sql.placeholder('uuid')),
          eq(nodes.leaseOwner, sql.placeholder('owner')),
        ),
      )
      .prepare(name),
  ).execute({ uuid: nodeUuid, owner });
}

/** Releases several leases of `owner` in one statement (the conductor batches its releases). */
export async function releaseLeases(db: Db, nodeUuids: string[], owner: string): Promise<void> {
  if (nodeUuids.length === 0) return;
  await db.$client.query({
    name: 'release_leases',
    text: `UPDATE nodes SET lease_owner = NULL, lease_expires_at = NULL, lease_purpose = NULL
           WHERE uuid = ANY($1::uuid[]) AND lease_owner = $2::text`,
    values: [nodeUuids, owner],
  });
}

/** Thrown when a write is fenced off because the writer no longer holds the node's lease. */
export class LeaseLostError extends Error {
  constructor(nodeUuid: string, owner: string) {
    super(`Conductor ${owner} no longer holds the lease of node ${nodeUuid}`);
    this.name = 'LeaseLostError';
  }
}

/** Condition that fences a node write to the lease holder. */
export const heldBy = (nodeUuid: string, owner: string) =>
  and(eq(nodes.uuid, nodeUuid), eq(nodes.leaseOwner, owner));
