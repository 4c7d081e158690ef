import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import pg from 'pg';
import { recordingSpanContext, SpanKind, withSpan } from '@ingot/telemetry';
import type { Db, DbOrTx, Tx } from './db.js';
import { outbox } from './schema.js';

export interface OutboxMessage {
  /** Becomes Nats-Msg-Id: JetStream drops a second publish of the same id. */
  id?: string;
  subject: string;
  payload: unknown;
  headers?: Record<string, string>;
}

const NOTIFY_CHANNEL = 'ingot_outbox';

/** What the relay needs of a committed outbox row. */
export type OutboxRow = Pick<
  typeof outbox.$inferSelect,
  'seq' | 'id' | 'subject' | 'payload' | 'headers'
>;
type CommittedRows = (rows: OutboxRow[]) => void;

/** The relay of this process for a database, told of rows as soon as they are committed. */
const committedSinks = new WeakMap<Db, CommittedRows>();
/** Rows enqueued in a transaction opened by a tracked `db.transaction`, handed over at commit. */
const pendingByTx = new WeakMap<object, { db: Db; rows: OutboxRow[] }>();

/**
 * Makes `db.transaction` hand the outbox rows its transaction enqueued to this process's relay
 * once the transaction has committed, so they are published at once instead of after a NOTIFY
 * round trip through PostgreSQL and a relay's SELECT … FOR UPDATE. Rows of a rolled-back
 * transaction are never handed over. (Nested transactions, savepoints, keep the NOTIFY path.)
 */
export function trackOutboxCommits(db: Db): void {
  const transaction = db.transaction.bind(db);
  db.transaction = (async (run: (tx: Tx) => Promise<unknown>, config?: unknown) => {
    // A span per transaction of a traced task; the relay's polls (no traced caller) make none.
    if (!recordingSpanContext()) return tracked(run, config);
    return withSpan(
      'TRANSACTION',
      { kind: SpanKind.CLIENT, attributes: TRANSACTION_ATTRIBUTES },
      () => tracked(run, config),
    );
  }) as Db['transaction'];
  const tracked = async (run: (tx: Tx) => Promise<unknown>, config?: unknown) => {
    const pending = { db, rows: [] as OutboxRow[] };
    const result = await (transaction as (r: typeof run, c?: unknown) => Promise<unknown>)(
      async (tx) => {
        pendingByTx.set(tx, pending);
        return run(tx);
      },
      config,
    );
    if (pending.rows.length > 0) committedSinks.get(db)?.(pending.rows);
    return result;
  };
}

const TRANSACTION_ATTRIBUTES = {
  'db.system.name': 'postgresql',
  'db.operation.name': 'TRANSACTION',
} as const;

/** Queues messages in the caller's transaction; they leave only if it commits. */
export async function enqueueOutbox(tx: DbOrTx, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const rows = await tx
    .insert(outbox)
    .values(
      messages.map((m) => ({
        id: m.id ?? randomUUID(),
        subject: m.subject,
        payload: m.payload,
        headers: m.headers ?? {},
      })),
    )
    .returning();
  await outboxCommitted(tx, rows);
}

/**
 * Hands rows just written by `tx` to this process's relay: at the commit of a tracked
 * transaction, at once for a statement that committed on its own, or, when no relay of this
 * process sees the database, by waking the other processes' relays (NOTIFY, delivered at commit).
 */
export async function outboxCommitted(tx: DbOrTx, rows: OutboxRow[]): Promise<void> {
  const pending = pendingByTx.get(tx);
  if (pending && committedSinks.has(pending.db)) {
    pending.rows.push(...rows);
    return;
  }
  const sink = committedSinks.get(tx as Db);
  if (sink) {
    sink(rows);
    return;
  }
  await tx.execute(sql`SELECT pg_notify(${NOTIFY_CHANNEL}, '')`);
}

export type Publish = (message: Required<OutboxMessage>) => Promise<void>;

export interface OutboxRelayOptions {
  db: Db;
  url: string;
  publish: Publish;
  batchSize?: number;
  /** Sweep for rows nobody published (a process died between commit and publish, the bus was down). */
  pollMs?: number;
  /** The sweep leaves younger rows to the process that committed them. */
  sweepAfterMs?: number;
  /** Published rows older than this are deleted. */
  retainMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Publishes committed outbox rows to the bus, each only after the transaction that wrote it
 * committed, and marks it published only after JetStream acknowledged it.
 *
 * Rows committed through this process's tracked `db.transaction` are published at once, as a
 * pipeline, and marked in batches. Everything else is swept: rows other processes announced
 * with NOTIFY (services without a relay), and rows left behind by a crash or a bus outage, found
 * by a periodic poll. Several relays (one per service replica) may run: the sweep claims rows with
 * FOR UPDATE SKIP LOCKED. A row published twice (a crash after publishing, a sweep racing the
 * eager path) carries the same Nats-Msg-Id, and JetStream drops the copy.
 */
export class OutboxRelay {
  private listener: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private draining: Promise<void> | undefined;
  private again = false;
  private lastCleanup = 0;
  /** Rows published by the eager path, waiting to be marked. */
  private toMark: number[] = [];
  private marking: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Rows the eager path is publishing or marking: the sweep leaves them alone. */
  private readonly eager = new Set<number>();

  constructor(private readonly opts: OutboxRelayOptions) {}

  async start(): Promise<void> {
    this.running = true;
    committedSinks.set(this.opts.db, (rows) => this.publishCommitted(rows));
    await this.listen();
    this.timer = setInterval(
      () => this.kick(this.opts.sweepAfterMs ?? 2_000),
      this.opts.pollMs ?? 1000,
    );
    this.kick(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    committedSinks.delete(this.opts.db);
    if (this.timer) clearInterval(this.timer);
    await this.settleEager();
    await this.draining;
    await this.listener?.end().catch(() => undefined);
  }

  /** Publishes now; resolves when no committed row is left unpublished or unmarked. */
  async flush(): Promise<void> {
    await this.settleEager();
    this.kick(0);
    while (this.draining) await this.draining;
  }

  private async settleEager(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    while (this.marking || this.toMark.length > 0) await (this.marking ?? this.markPublished());
  }

  /** The eager path: rows just committed in this process. */
  private publishCommitted(rows: OutboxRow[]): void {
    for (const row of rows) this.eager.add(row.seq);
    const done: Promise<void> = this.publishAll(rows)
      .then(({ published, failed }) => {
        for (const seq of failed.keys()) this.eager.delete(seq);
        this.toMark.push(...published);
        if (!this.marking) void this.markPublished();
      })
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /**
   * Publishes rows in order without waiting for each acknowledgement before sending the next;
   * returns the sequence numbers JetStream acknowledged and why the others failed (they are left
   * for the sweep).
   */
  private async publishAll(
    rows: OutboxRow[],
  ): Promise<{ published: number[]; failed: Map<number, unknown> }> {
    const results = await Promise.allSettled(
      rows.map((row) =>
        this.opts.publish({
          id: row.id,
          subject: row.subject,
          payload: row.payload,
          headers: row.headers ?? {},
        }),
      ),
    );
    const published: number[] = [];
    const failed = new Map<number, unknown>();
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') published.push(rows[i]!.seq);
      else failed.set(rows[i]!.seq, result.reason);
    });
    if (failed.size > 0) this.opts.onError?.(failed.values().next().value);
    return { published, failed };
  }

  /** One UPDATE for every row the eager path published since the last one. */
  private markPublished(): Promise<void> {
    this.marking = (async () => {
      while (this.toMark.length > 0) {
        const seqs = this.toMark.splice(0, 1_000);
        try {
          await this.opts.db
            .update(outbox)
            .set({ publishedAt: new Date() })
            .where(inArray(outbox.seq, seqs));
        } catch (error) {
          // Unmarked rows are swept and published again; JetStream drops the copies.
          this.opts.onError?.(error);
        }
        for (const seq of seqs) this.eager.delete(seq);
      }
    })().finally(() => {
      this.marking = undefined;
    });
    return this.marking;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.opts.url,
      application_name: 'ingot-outbox',
    });
    client.on('error', (error) => {
      this.opts.onError?.(error);
      this.listener = undefined;
      if (this.running) setTimeout(() => void this.listen().catch(this.opts.onError), 1000);
    });
    client.on('notification', () => this.kick(0));
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.listener = client;
  }

  /** Sweeps rows committed at least `minAgeMs` ago (0: all of them). */
  private kick(minAgeMs: number): void {
    if (!this.running) return;
    if (this.draining) {
      if (minAgeMs === 0) this.again = true;
      return;
    }
    this.draining = this.drain(minAgeMs)
      .catch((error) => this.opts.onError?.(error))
      .finally(() => {
        this.draining = undefined;
        if (this.again) {
          this.again = false;
          this.kick(0);
        }
      });
  }

  private async drain(minAgeMs: number): Promise<void> {
    while (this.running && (await this.publishBatch(minAgeMs)) > 0);
    await this.cleanup();
  }

  private async publishBatch(minAgeMs: number): Promise<number> {
    const { db } = this.opts;
    return db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(outbox)
        .where(
          and(
            isNull(outbox.publishedAt),
            this.eager.size > 0
              ? sql`${outbox.seq} <> ALL(${sql.param([...this.eager])}::bigint[])`
              : undefined,
            minAgeMs > 0
              ? lt(outbox.createdAt, sql`now() - make_interval(secs => ${minAgeMs / 1000})`)
              : undefined,
          ),
        )
        .orderBy(asc(outbox.seq))
        .limit(this.opts.batchSize ?? 100)
        .for('update', { skipLocked: true });
      const { published, failed } = await this.publishAll(rows);
      for (const row of rows) {
        if (!failed.has(row.seq)) continue;
        await tx
          .update(outbox)
          .set({ attempts: row.attempts + 1, lastError: String(failed.get(row.seq)) })
          .where(eq(outbox.seq, row.seq));
      }
      if (published.length > 0) {
        await tx
          .update(outbox)
          .set({ publishedAt: new Date() })
          .where(inArray(outbox.seq, published));
      }
      return failed.size === 0 ? rows.length : 0;
    });
  }

  private async cleanup(): Promise<void> {
    const retainMs = this.opts.retainMs ?? 3_600_000;
    if (Date.now() - this.lastCleanup < Math.min(retainMs, 60_000)) return;
    this.lastCleanup = Date.now();
    const cutoff = new Date(Date.now() - retainMs);
    await this.opts.db.delete(outbox).where(lt(outbox.publishedAt, cutoff));
  }
}
