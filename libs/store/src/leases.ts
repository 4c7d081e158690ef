import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from './db.js';
import { Batcher, batcherFor, NODE_ROW_BATCHES } from './batcher.js';
import { nodeFromColumns } from './node-write.js';
import { nodes } from './schema.js';

export type NodeRow = typeof nodes.$inferSelect;

interface LeaseRequest {
  uuid: string;
  owner: string;
  ttl: number;
  purpose: string;
  consumer: string | null;
  message_id: string | null;
}
type Acquired = (NodeRow & { handled: boolean }) | null;

const acquirers = new WeakMap<Db, Batcher<LeaseRequest, Acquired>>();

/** Takes the leases of a batch of distinct nodes in one statement; null where held by another. */
async function acquireLeases(db: Db, requests: LeaseRequest[]): Promise<Acquired[]> {
  const { rows } = await db.$client.query<Record<string, unknown>>({
    name: 'acquire_leases',
    text: `WITH input AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(uuid uuid, owner text,
             ttl int, purpose text, consumer text, message_id text))
           UPDATE nodes n SET lease_owner = i.owner,
             lease_expires_at = now() + i.ttl * interval '1 millisecond', lease_purpose = i.purpose
           FROM input i
           WHERE n.uuid = ANY($2::uuid[]) AND n.uuid = i.uuid
             AND (n.lease_owner IS NULL OR n.lease_owner = i.owner OR n.lease_expires_at < now())
           RETURNING n.*, EXISTS (SELECT 1 FROM handled_messages h
             WHERE h.consumer = i.consumer AND h.message_id = i.message_id) AS "__handled"`,
    values: [JSON.stringify(requests), requests.map((r) => r.uuid)],
  });
  const byUuid = new Map<string, Acquired>();
  for (const raw of rows) {
    byUuid.set(raw.uuid as string, { ...nodeFromColumns(raw), handled: raw.__handled === true });
  }
  return requests.map((r) => byUuid.get(r.uuid) ?? null);
}

/**
 * Takes the node's lease for `owner` if it is free, expired, or already ours. Returns the node
 * as it is now, or null when another live owner holds it (or the node does not exist). With
 * `message`, `handled` tells whether that consumer already acted on that bus message (the
 * inbox check, answered in the same round trip). Concurrent acquisitions of a process share a
 * statement (sorted by node, so every process locks rows in the same order).
 */
export function acquireLease(
  db: Db,
  nodeUuid: string,
  owner: string,
  ttlMs: number,
  purpose: string,
  message?: { consumer: string; messageId: string },
): Promise<Acquired> {
  const acquirer = batcherFor(
    acquirers,
    db,
    () =>
      new Batcher((requests: LeaseRequest[]) => acquireLeases(db, requests), {
        ...NODE_ROW_BATCHES,
        span: { operation: 'UPDATE', collection: 'nodes', summary: 'UPDATE nodes (take lease)' },
      }),
  );
  return acquirer.submit({
    uuid: nodeUuid.toLowerCase(),
    owner,
    ttl: Math.round(ttlMs),
    purpose,
    consumer: message?.consumer ?? null,
    message_id: message?.messageId ?? null,
  });
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
