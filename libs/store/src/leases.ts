import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from './db.js';
import { nodeFromColumns } from './node-write.js';
import { prepared } from './prepared.js';
import { nodes } from './schema.js';

export type NodeRow = typeof nodes.$inferSelect;

/**
 * Takes the node's lease for `owner` if it is free, expired, or already ours. Returns the node
 * as it is now, or null when another live owner holds it (or the node does not exist). With
 * `message`, `handled` tells whether that consumer already acted on that bus message (the
 * inbox check, answered in the same round trip).
 */
export async function acquireLease(
  db: Db,
  nodeUuid: string,
  owner: string,
  ttlMs: number,
  purpose: string,
  message?: { consumer: string; messageId: string },
): Promise<(NodeRow & { handled: boolean }) | null> {
  const result = await db.$client.query<Record<string, unknown>>({
    name: 'acquire_lease',
    text: `UPDATE nodes SET lease_owner = $2::text,
             lease_expires_at = now() + $3::int * interval '1 millisecond', lease_purpose = $4::text
           WHERE uuid = $1::uuid
             AND (lease_owner IS NULL OR lease_owner = $2::text OR lease_expires_at < now())
           RETURNING *, EXISTS (SELECT 1 FROM handled_messages
             WHERE consumer = $5::text AND message_id = $6::text) AS "__handled"`,
    values: [
      nodeUuid,
      owner,
      Math.round(ttlMs),
      purpose,
      message?.consumer ?? null,
      message?.messageId ?? null,
    ],
  });
  const raw = result.rows[0];
  return raw ? { ...nodeFromColumns(raw), handled: raw.__handled === true } : null;
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
