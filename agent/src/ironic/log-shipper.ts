// Ships the agent's log lines to the API (POST /v1/agent_logs/{node}, an Ingot extension) in
// bounded batches. Logging never waits for it: lines wait in a bounded buffer, the oldest are
// dropped (and counted, and the count reported) when the API is away, and nothing it does can
// throw into the agent.
import { randomBytes } from 'node:crypto';
import { fetch, type Dispatcher } from 'undici';
import type { LogEntry, LogLevel } from '../log.js';

export interface LogShipperOptions {
  apiUrl: string;
  /** Lines kept while they cannot be sent; the oldest go first. */
  maxBufferedLines?: number;
  maxBufferedBytes?: number;
  /** A batch holds at most this many lines (and maxBatchBytes). */
  maxBatchLines?: number;
  maxBatchBytes?: number;
  /** How long a line waits for others to go with it (a burst goes as one batch); a full batch goes at once. */
  intervalMs?: number;
  /** The longest wait after failures. */
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
}

/** A line is cut here: a command's output may be long, the node's log is bounded in bytes. */
const MAX_MESSAGE_CHARS = 8 * 1024;

interface Buffered {
  seq: number;
  at: string;
  level: 'debug' | 'info' | 'warning' | 'error';
  message: string;
  bytes: number;
}

const LEVELS: Record<LogLevel, Buffered['level']> = {
  debug: 'debug',
  info: 'info',
  warn: 'warning',
  error: 'error',
  fatal: 'error',
};

/** Which ramdisk boot lines come from: the agent's start time and a random tag. */
export function newBootId(now = new Date()): string {
  return `${now.toISOString().replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

export class LogShipper {
  private readonly buffer: Buffered[] = [];
  private bufferedBytes = 0;
  private nextSeq = 1;
  /** Lines dropped and not yet reported to the API. */
  private dropped = 0;
  private target: { nodeUuid: string; token: string; dispatcher?: Dispatcher } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;
  /** A token the API refused: lines wait (bounded) for a start() with another one. */
  private refusedToken: string | undefined;
  private readonly opts: Required<LogShipperOptions>;

  constructor(
    options: LogShipperOptions,
    readonly boot: string = newBootId(),
  ) {
    this.opts = {
      maxBufferedLines: 5_000,
      maxBufferedBytes: 1024 * 1024,
      maxBatchLines: 200,
      maxBatchBytes: 256 * 1024,
      intervalMs: 100,
      maxBackoffMs: 30_000,
      requestTimeoutMs: 10_000,
      ...options,
    };
  }

  /** Lines dropped since the last batch the API took (for tests and the final line). */
  get droppedLines(): number {
    return this.dropped;
  }

  get bufferedLines(): number {
    return this.buffer.length;
  }

  /** Takes a line; O(1), never throws, never waits. */
  push(entry: LogEntry): void {
    if (this.stopped) return;
    const message =
      entry.message.length > MAX_MESSAGE_CHARS
        ? `${entry.message.slice(0, MAX_MESSAGE_CHARS)}… (cut)`
        : entry.message;
    const bytes = Buffer.byteLength(message) + 64;
    this.buffer.push({
      seq: this.nextSeq++,
      at: entry.time,
      level: LEVELS[entry.level],
      message,
      bytes,
    });
    this.bufferedBytes += bytes;
    while (
      this.buffer.length > this.opts.maxBufferedLines ||
      this.bufferedBytes > this.opts.maxBufferedBytes
    ) {
      this.bufferedBytes -= this.buffer.shift()!.bytes;
      this.dropped++;
    }
    if (this.target && !this.timer && !this.sending) this.schedule(this.nextDelay());
  }

  /**
   * From now on lines go to this node's log, with the agent token that proves the agent is its,
   * through `dispatcher` (how the API's certificate is verified).
   */
  start(nodeUuid: string, token: string, dispatcher?: Dispatcher): void {
    if (this.stopped || token === this.refusedToken) return;
    this.target = { nodeUuid, token, dispatcher };
    this.schedule(0);
  }

  /** Sends what is buffered, giving up after `timeoutMs` (before a power off or a reboot). */
  async flush(timeoutMs = 3_000): Promise<void> {
    if (!this.target || this.stopped) return;
    const deadline = Date.now() + timeoutMs;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.buffer.length > 0 && Date.now() < deadline && !this.stopped) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>(
        (resolve) => (timer = setTimeout(() => resolve('late'), deadline - Date.now())),
      );
      const outcome = await Promise.race([this.sendBatch(), late]);
      clearTimeout(timer);
      // The API is away or slow: waiting longer would only delay the departure.
      if (outcome === 'late' || this.failures > 0) break;
    }
    if (this.buffer.length > 0 && !this.stopped) this.schedule(this.nextDelay());
  }

  /** Sends nothing more and lets go of what is buffered. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.buffer.length = 0;
    this.bufferedBytes = 0;
  }

  private nextDelay(): number {
    if (this.failures === 0)
      return this.buffer.length >= this.opts.maxBatchLines ? 0 : this.opts.intervalMs;
    return Math.min(this.opts.intervalMs * 2 ** this.failures, this.opts.maxBackoffMs);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sendBatch().then(() => {
        if (this.buffer.length > 0 && !this.stopped && !this.timer) this.schedule(this.nextDelay());
      });
    }, delayMs);
    this.timer.unref();
  }

  private sendBatch(): Promise<void> {
    if (this.sending) return this.sending;
    this.sending = this.post().finally(() => (this.sending = undefined));
    return this.sending;
  }

  private async post(): Promise<void> {
    const target = this.target;
    if (!target || this.stopped || this.buffer.length === 0) return;
    const batch: Buffered[] = [];
    let bytes = 0;
    for (const line of this.buffer) {
      if (batch.length >= this.opts.maxBatchLines || bytes + line.bytes > this.opts.maxBatchBytes)
        break;
      batch.push(line);
      bytes += line.bytes;
    }
    const dropped = this.dropped;
    let status: number;
    try {
      const res = await fetch(
        `${this.opts.apiUrl}/v1/agent_logs/${encodeURIComponent(target.nodeUuid)}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({
            agent_token: target.token,
            boot: this.boot,
            lines: batch.map(({ at, level, message }) => ({ at, level, message })),
            ...(dropped > 0 ? { dropped } : {}),
          }),
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
          dispatcher: target.dispatcher,
        },
      );
      await res.arrayBuffer().catch(() => undefined);
      status = res.status;
    } catch {
      status = 0; // unreachable or timed out: kept, retried later
    }
    if (status === 204 || status === 200) {
      this.failures = 0;
      this.dropped -= dropped;
      this.forget(batch[batch.length - 1]!.seq);
    } else if (status === 401 || status === 404) {
      // This token is not (or no longer) the node's, or the node is gone: nothing sent with it
      // will be taken. The lines wait, bounded, in case the lookup gives another token.
      this.refusedToken = target.token;
      this.target = undefined;
      clearTimeout(this.timer);
      this.timer = undefined;
    } else if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      // The API refuses this batch as it is: dropped rather than retried forever.
      this.failures = 0;
      this.dropped += batch.length;
      this.forget(batch[batch.length - 1]!.seq);
    } else {
      this.failures++;
    }
  }

  /** Removes the lines up to `seq` (some may have been dropped meanwhile). */
  private forget(seq: number): void {
    while (this.buffer.length > 0 && this.buffer[0]!.seq <= seq)
      this.bufferedBytes -= this.buffer.shift()!.bytes;
  }
}
