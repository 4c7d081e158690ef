import { randomUUID } from 'node:crypto';
import { getTableColumns } from 'drizzle-orm';
import { Batcher, batcherFor, NODE_ROW_BATCHES } from './batcher.js';
import type { Db } from './db.js';
import type { NodeRow } from './leases.js';
import { outboxCommitted, type OutboxMessage, type OutboxRow } from './outbox.js';
import { nodes } from './schema.js';

/** Columns a node write may set (lease and bookkeeping columns have their own rules). */
export type NodeColumns = Partial<Omit<typeof nodes.$inferInsert, 'uuid' | 'createdAt'>>;

/** A history row written with the change; node, time and id are filled in. */
export interface NodeWriteHistory {
  eventType: string;
  event: string;
  severity?: string;
  fromState?: string | null;
  toState?: string | null;
  requestId?: string | null;
  conductor?: string | null;
  user?: string | null;
}

export interface NodeWrite {
  uuid: string;
  set: NodeColumns;
  /** Only while this conductor holds the node's lease (the fence of every conductor write). */
  leaseOwner?: string;
  /** Only while these columns still have these values (the API's optimistic check). */
  expect?: Partial<Pick<NodeRow, 'provisionState' | 'targetProvisionState' | 'targetPowerState'>>;
  history?: NodeWriteHistory[];
  outbox?: OutboxMessage[];
  /** Marks a bus message as acted on together with its effect. */
  handled?: { consumer: string; messageId: string };
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** Set by the statement itself (updated_at) or only through the lease functions. */
const FIXED_KEYS = new Set([
  'uuid',
  'createdAt',
  'updatedAt',
  'leaseOwner',
  'leaseExpiresAt',
  'leasePurpose',
]);
const COLUMN_OF = new Map(Object.keys(getTableColumns(nodes)).map((key) => [snake(key), key]));
const SETTABLE = [...COLUMN_OF.values()].filter((key) => !FIXED_KEYS.has(key)).map(snake);

/**
 * Node rows, their history rows, outgoing messages and inbox marks, for a batch of writes, in one
 * statement: one round trip to PostgreSQL instead of a transaction of five or six per write.
 * `$1` holds one object per write (its position `k`); `$2` repeats their node uuids so that
 * PostgreSQL finds the rows by primary key (given the join alone it planned a sequential scan of
 * every node per statement). Columns missing from a write's `set` keep their values
 * (jsonb_populate_record over the row being updated, re-read if a concurrent write came first);
 * a write whose row fails its fences writes nothing, and its `k` is not returned.
 */
const WRITE_NODES = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(k int, uuid uuid, owner text,
    set jsonb, expect jsonb, history jsonb, outbox jsonb, consumer text, message_id text)
), updated AS (
  UPDATE nodes n SET (${SETTABLE.join(', ')}, updated_at) =
    (SELECT ${SETTABLE.map((c) => `r.${c}`).join(', ')}, now()
     FROM jsonb_populate_record(n, i.set) r)
  FROM input i
  WHERE n.uuid = ANY($2::uuid[]) AND n.uuid = i.uuid
    AND (i.owner IS NULL OR n.lease_owner = i.owner)
    AND jsonb_build_object('provision_state', n.provision_state,
          'target_provision_state', n.target_provision_state,
          'target_power_state', n.target_power_state) @> i.expect
  RETURNING i.k AS "__k", n.*
), written AS (
  SELECT i.* FROM updated u JOIN input i ON i.k = u."__k"
), history AS (
  INSERT INTO node_history (node_uuid, severity, event_type, event, from_state, to_state, request_id, conductor, "user")
  SELECT w.uuid, coalesce(h.severity, 'INFO'), h.event_type, h.event, h.from_state, h.to_state, h.request_id, h.conductor, h."user"
  FROM written w, ROWS FROM (jsonb_to_recordset(w.history) AS (severity text, event_type text,
    event text, from_state text, to_state text, request_id text, conductor text, "user" text))
    WITH ORDINALITY AS h(severity, event_type, event, from_state, to_state, request_id, conductor, "user", o)
  ORDER BY w.k, h.o
), sent AS (
  INSERT INTO outbox (id, subject, payload, headers)
  SELECT m.id, m.subject, m.payload, coalesce(m.headers, '{}'::jsonb)
  FROM written w, ROWS FROM (jsonb_to_recordset(w.outbox) AS (id text, subject text,
    payload jsonb, headers jsonb)) WITH ORDINALITY AS m(id, subject, payload, headers, o)
  ORDER BY w.k, m.o
  RETURNING seq, id, subject, payload, headers
), handled AS (
  INSERT INTO handled_messages (consumer, message_id)
  SELECT w.consumer, w.message_id FROM written w WHERE w.consumer IS NOT NULL
  ON CONFLICT DO NOTHING
)
SELECT u.*, CASE WHEN u."__k" = (SELECT min("__k") FROM updated)
    THEN (SELECT coalesce(jsonb_agg(s ORDER BY s.seq), '[]'::jsonb) FROM sent s) END AS "__outbox"
FROM updated u`;

const toColumns = (value: object): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[snake(key)] = v;
  return out;
};

function checkWrite(write: NodeWrite): void {
  for (const key of Object.keys(write.set)) {
    if (FIXED_KEYS.has(key)) throw new Error(`writeNodeRow cannot set '${key}'`);
  }
}

/** Runs a batch of writes (at most one per node) in one statement; null where a fence held. */
async function writeNodeRows(db: Db, writes: NodeWrite[]): Promise<(NodeRow | null)[]> {
  const input = writes.map((write, k) => ({
    k,
    uuid: write.uuid,
    owner: write.leaseOwner ?? null,
    set: toColumns(write.set),
    expect: toColumns(write.expect ?? {}),
    history: (write.history ?? []).map(toColumns),
    outbox: (write.outbox ?? []).map((m) => ({
      id: m.id ?? randomUUID(),
      subject: m.subject,
      payload: m.payload,
      headers: m.headers ?? {},
    })),
    consumer: write.handled?.consumer ?? null,
    message_id: write.handled?.messageId ?? null,
  }));
  const result = await db.$client.query<Record<string, unknown>>({
    name: 'write_nodes',
    text: WRITE_NODES,
    values: [JSON.stringify(input), writes.map((w) => w.uuid)],
  });
  const rows: (NodeRow | null)[] = writes.map(() => null);
  let sent: OutboxRow[] = [];
  for (const raw of result.rows) {
    rows[raw.__k as number] = nodeFromColumns(raw);
    // The batch's messages come once, with its first row (not repeated in every row).
    if (raw.__outbox) sent = raw.__outbox as OutboxRow[];
  }
  if (sent.length > 0) await outboxCommitted(db, sent);
  return rows;
}

const writers = new WeakMap<Db, Batcher<NodeWrite, NodeRow | null>>();

/**
 * Writes a node change with its history and messages in one statement (batched with the other
 * writes of this process in flight). Returns the node as written, or null when a fence held it
 * back (another lease owner, a changed state, no node).
 */
export async function writeNodeRow(db: Db, write: NodeWrite): Promise<NodeRow | null> {
  checkWrite(write);
  const writer = batcherFor(
    writers,
    db,
    () =>
      new Batcher((writes: NodeWrite[]) => writeNodeRows(db, writes), {
        ...NODE_ROW_BATCHES,
        span: { operation: 'UPDATE', collection: 'nodes', summary: 'UPDATE nodes (write)' },
      }),
  );
  return writer.submit(write);
}

/**
 * A node row as drizzle returns it, from a row of `nodes.*` read in SQL (snake_case names). Built
 * as one object literal (generated from the schema's column names): a loop of assignments would
 * make each row a slow dictionary-mode object, which a 1000-node list pays for twice.
 */
export const nodeFromColumns = new Function(
  'raw',
  `return {${[...COLUMN_OF]
    .map(([column, key]) => `${JSON.stringify(key)}: raw[${JSON.stringify(column)}]`)
    .join(', ')}};`,
) as (raw: Record<string, unknown>) => NodeRow;
