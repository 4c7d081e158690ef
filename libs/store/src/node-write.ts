import { randomUUID } from 'node:crypto';
import { getTableColumns } from 'drizzle-orm';
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
  /** Releases the lease in the same statement (the task's last write). */
  releaseLease?: boolean;
  /** Only while these columns still have these values (the API's optimistic check). */
  expect?: Partial<Pick<NodeRow, 'provisionState' | 'targetProvisionState' | 'targetPowerState'>>;
  history?: NodeWriteHistory[];
  outbox?: OutboxMessage[];
  /** Marks a bus message as acted on together with its effect. */
  handled?: { consumer: string; messageId: string };
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const LEASE_KEYS = new Set(['leaseOwner', 'leaseExpiresAt', 'leasePurpose']);
const FIXED_KEYS = new Set(['uuid', 'createdAt', 'updatedAt', ...LEASE_KEYS]);
const COLUMN_OF = new Map(Object.keys(getTableColumns(nodes)).map((key) => [snake(key), key]));
const SETTABLE = [...COLUMN_OF.values()].filter((key) => !FIXED_KEYS.has(key)).map(snake);

/**
 * The node row, its history rows, its outgoing messages and the inbox mark in one statement, so
 * one round trip to PostgreSQL instead of a transaction of five or six. Columns missing from
 * `$2` keep their values (jsonb_populate_record over the row being updated, re-read if a
 * concurrent write came first); nothing is written unless the row passes the fences.
 */
const WRITE_NODE = `
WITH updated AS (
  UPDATE nodes n SET (${SETTABLE.join(', ')}, updated_at, lease_owner, lease_expires_at, lease_purpose) =
    (SELECT ${SETTABLE.map((c) => `r.${c}`).join(', ')}, now(),
       CASE WHEN $4 THEN NULL ELSE n.lease_owner END,
       CASE WHEN $4 THEN NULL ELSE n.lease_expires_at END,
       CASE WHEN $4 THEN NULL ELSE n.lease_purpose END
     FROM jsonb_populate_record(n, $2::jsonb) r)
  WHERE n.uuid = $1::uuid
    AND ($3::text IS NULL OR n.lease_owner = $3::text)
    AND jsonb_build_object('provision_state', n.provision_state,
          'target_provision_state', n.target_provision_state,
          'target_power_state', n.target_power_state) @> $5::jsonb
  RETURNING n.*
), history AS (
  INSERT INTO node_history (node_uuid, severity, event_type, event, from_state, to_state, request_id, conductor, "user")
  SELECT u.uuid, coalesce(h.severity, 'INFO'), h.event_type, h.event, h.from_state, h.to_state, h.request_id, h.conductor, h."user"
  FROM updated u, jsonb_to_recordset($6::jsonb) AS h(severity text, event_type text, event text,
    from_state text, to_state text, request_id text, conductor text, "user" text)
), sent AS (
  INSERT INTO outbox (id, subject, payload, headers)
  SELECT m.id, m.subject, m.payload, coalesce(m.headers, '{}'::jsonb)
  FROM updated u, jsonb_to_recordset($7::jsonb) AS m(id text, subject text, payload jsonb, headers jsonb)
  RETURNING seq, id, subject, payload, headers
), handled AS (
  INSERT INTO handled_messages (consumer, message_id)
  SELECT $8::text, $9::text FROM updated u WHERE $8::text IS NOT NULL
  ON CONFLICT DO NOTHING
)
SELECT u.*, (SELECT coalesce(jsonb_agg(s), '[]'::jsonb) FROM sent s) AS "__outbox" FROM updated u`;

const toColumns = (value: object): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[snake(key)] = v;
  return out;
};

/**
 * Writes a node change with its history and messages in one statement. Returns the node as
 * written, or null when a fence held it back (another lease owner, a changed state, no node).
 */
export async function writeNodeRow(db: Db, write: NodeWrite): Promise<NodeRow | null> {
  for (const key of Object.keys(write.set)) {
    if (FIXED_KEYS.has(key)) throw new Error(`writeNodeRow cannot set '${key}'`);
  }
  const outbox = (write.outbox ?? []).map((m) => ({
    id: m.id ?? randomUUID(),
    subject: m.subject,
    payload: m.payload,
    headers: m.headers ?? {},
  }));
  const result = await db.$client.query<Record<string, unknown>>({
    name: 'write_node',
    text: WRITE_NODE,
    values: [
      write.uuid,
      JSON.stringify(toColumns(write.set)),
      write.leaseOwner ?? null,
      write.releaseLease === true,
      JSON.stringify(toColumns(write.expect ?? {})),
      JSON.stringify((write.history ?? []).map(toColumns)),
      JSON.stringify(outbox),
      write.handled?.consumer ?? null,
      write.handled?.messageId ?? null,
    ],
  });
  const raw = result.rows[0];
  if (!raw) return null;
  const sent = raw.__outbox as OutboxRow[];
  if (sent.length > 0) await outboxCommitted(db, sent);
  const row: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(raw)) {
    const key = COLUMN_OF.get(column);
    if (key) row[key] = value;
  }
  return row as NodeRow;
}
