import { randomUUID } from 'node:crypto';
import { asc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import pg from 'pg';
import type { Db, DbOrTx } from './db.js';
import { outbox } from './schema.js';

export interface OutboxMessage {
  /** Becomes Nats-Msg-Id: JetStream drops a second publish of the same id. */
  id?: string;
  subject: string;
  payload: unknown;
  headers?: Record<string, string>;
}

const NOTIFY_CHANNEL = 'ingot_outbox';

/** Queues messages in the caller's transaction; they leave only if it commits. */
export async function enqueueOutbox(tx: DbOrTx, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await tx.insert(outbox).values(
    messages.map((m) => ({
      id: m.id ?? randomUUID(),
      subject: m.subject,
      payload: m.payload,
      headers: m.headers ?? {},
    })),
  );
  // Delivered at commit, so the relay wakes as soon as the rows are visible.
  await tx.execute(sql`SELECT pg_notify(${NOTIFY_CHANNEL}, '')`);
}

export type Publish = (message: Required<OutboxMessage>) => Promise<void>;

export interface OutboxRelayOptions {
  db: Db;
  url: string;
  publish: Publish;
  batchSize?: number;
  /** Fallback poll when a notification is missed (e.g. the listen connection dropped). */
  pollMs?: number;
  /** Published rows older than this are deleted. */
  retainMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Publishes committed outbox rows to the bus. Several relays (one per service replica) may run:
 * each batch is claimed with FOR UPDATE SKIP LOCKED, and a row is marked published only after
 * JetStream acknowledged it, so a crash re-publishes it with the same id and JetStream drops it.
 */
export class OutboxRelay {
  private listener: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private draining: Promise<void> | undefined;
  private again = false;
  private lastCleanup = 0;

  constructor(private readonly opts: OutboxRelayOptions) {}

  async start(): Promise<void> {
    this.running = true;
    await this.listen();
    this.timer = setInterval(() => this.kick(), this.opts.pollMs ?? 1000);
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    await this.draining;
    await this.listener?.end().catch(() => undefined);
  }

  /** Drains now; resolves when no committed row is left unpublished. */
  async flush(): Promise<void> {
    this.kick();
    while (this.draining) await this.draining;
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
    client.on('notification', () => this.kick());
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.listener = client;
  }

  private kick(): void {
    if (!this.running) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((error) => this.opts.onError?.(error))
      .finally(() => {
        this.draining = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    while (this.running && (await this.publishBatch()) > 0);
    await this.cleanup();
  }

  private async publishBatch(): Promise<number> {
    const { db, publish } = this.opts;
    return db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(outbox)
        .where(isNull(outbox.publishedAt))
        .orderBy(asc(outbox.seq))
        .limit(this.opts.batchSize ?? 100)
        .for('update', { skipLocked: true });
      const published: number[] = [];
      for (const row of rows) {
        try {
          await publish({
            id: row.id,
            subject: row.subject,
            payload: row.payload,
            headers: row.headers,
          });
          published.push(row.seq);
        } catch (error) {
          await tx
            .update(outbox)
            .set({ attempts: row.attempts + 1, lastError: String(error) })
            .where(eq(outbox.seq, row.seq));
          this.opts.onError?.(error);
          break; // keep order: the rest of the batch waits for the next round
        }
      }
      if (published.length > 0) {
        await tx
          .update(outbox)
          .set({ publishedAt: new Date() })
          .where(inArray(outbox.seq, published));
      }
      return published.length === rows.length ? rows.length : 0;
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
