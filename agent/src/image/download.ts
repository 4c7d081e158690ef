// HTTP downloads that survive a dropped connection: retried, resumed with a Range request when
// the server supports it, restarted from the first byte when it does not.
import { fetch, type Dispatcher, type Response } from 'undici';

/** Receives the body in order; offsets count from the first byte of the resource. */
export interface ByteSink {
  write(chunk: Buffer, offset: number): Promise<void>;
  /** The server sent the whole body again: forget everything written so far. */
  restart(): Promise<void>;
}

export interface DownloadOptions {
  /** Tries per URL (default 6). */
  attempts?: number;
  /** The first pause between tries (default 2 s); each is twice the one before, at most 10 s. */
  retryDelayMs?: number;
  /** A connection that delivers nothing for this long is dropped and retried. */
  stallTimeoutMs?: number;
  /** Refuse bodies larger than this. */
  maxBytes?: number;
  signal?: AbortSignal;
  onRetry?: (attempt: number, error: Error) => void;
  /** How an HTTPS server is verified (the agent's ca_file or insecure); default: system CAs. */
  dispatcher?: Dispatcher;
}

/** Why a download failed, and whether another attempt may help. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** The sink refused the data: its own error goes back to the caller unchanged. */
class SinkError extends Error {
  constructor(override readonly cause: unknown) {
    super('sink error');
  }
}

const WRITE_BATCH = 1024 * 1024;
const MAX_RETRY_DELAY_MS = 10_000;

/** Downloads url into sink; resolves with the body's length. */
export async function downloadTo(
  url: string,
  sink: ByteSink,
  opts: DownloadOptions = {},
): Promise<number> {
  // 2 + 4 + 8 + 10 + 10 s: longer than an image cache restart, or a load balancer moving the
  // cache's address, which a download that ends after 4 s turned into a failed deploy.
  const attempts = opts.attempts ?? 6;
  const firstDelayMs = opts.retryDelayMs ?? 2000;
  const state = { received: 0 };
  for (let attempt = 1; ; attempt++) {
    try {
      await fetchFrom(url, sink, state, opts);
      return state.received;
    } catch (err) {
      if (err instanceof SinkError) throw err.cause;
      const error = asDownloadError(err, opts.signal);
      if (!error.retryable || attempt >= attempts) throw error;
      opts.onRetry?.(attempt, error);
      await sleep(Math.min(firstDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS), opts.signal);
    }
  }
}

async function fetchFrom(
  url: string,
  sink: ByteSink,
  state: { received: number },
  opts: DownloadOptions,
): Promise<void> {
  const stall = new AbortController();
  const signals = opts.signal ? [stall.signal, opts.signal] : [stall.signal];
  const stallMs = opts.stallTimeoutMs ?? 60_000;
  let timer = setTimeout(() => stall.abort(), stallMs);
  const resetTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), stallMs);
  };
  try {
    // identity: fetch would inflate a compressed body, and lengths and ranges would not add up.
    const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
    if (state.received > 0) headers.Range = `bytes=${state.received}-`;
    const res = await fetch(url, {
      headers,
      signal: AbortSignal.any(signals),
      dispatcher: opts.dispatcher,
    });
    if (res.status === 206 && state.received > 0) {
      const start = Number(/^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1]);
      if (start !== state.received) {
        // A range we did not ask for: start over from the first byte on the next attempt.
        await res.body?.cancel().catch(() => undefined);
        await restart(sink, state);
        throw new DownloadError(`server answered an unexpected range (${start})`, true);
      }
    } else if (res.ok) {
      if (state.received > 0) await restart(sink, state);
    } else {
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      await res.body?.cancel().catch(() => undefined);
      throw new DownloadError(`HTTP ${res.status} ${res.statusText}`.trim(), retryable);
    }
    if (!res.body) throw new DownloadError('empty response body', true);
    const expectedEnd = contentEnd(res, state.received);
    const reader = res.body.getReader();
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const chunk = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await writeTo(sink, chunk, state);
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        resetTimer();
        if (
          opts.maxBytes !== undefined &&
          state.received + pendingBytes + value.length > opts.maxBytes
        ) {
          throw new DownloadError(`body is larger than ${opts.maxBytes} bytes`, false);
        }
        pending.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        pendingBytes += value.length;
        if (pendingBytes >= WRITE_BATCH) await flush();
      }
    } finally {
      // What arrived before a failure is good: keep it so that the retry resumes after it.
      await flush();
    }
    if (expectedEnd !== undefined && state.received !== expectedEnd) {
      throw new DownloadError(
        `connection closed after ${state.received} of ${expectedEnd} bytes`,
        true,
      );
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Where the body should end, from Content-Length (relative to the requested start). */
function contentEnd(res: Response, start: number): number | undefined {
  const length = Number(res.headers.get('content-length'));
  if (!Number.isFinite(length) || res.headers.get('content-length') === null) return undefined;
  return (res.status === 206 ? start : 0) + length;
}

async function restart(sink: ByteSink, state: { received: number }): Promise<void> {
  state.received = 0;
  await sink.restart();
}

async function writeTo(sink: ByteSink, chunk: Buffer, state: { received: number }): Promise<void> {
  try {
    await sink.write(chunk, state.received);
  } catch (err) {
    // A disk that refuses a write will refuse it again: not worth a retry.
    throw new SinkError(err);
  }
  state.received += chunk.length;
}

function asDownloadError(err: unknown, signal: AbortSignal | undefined): DownloadError {
  if (err instanceof DownloadError) return err;
  if (signal?.aborted) return new DownloadError('cancelled', false);
  const cause = (err as { cause?: { message?: string } }).cause?.message;
  const name = (err as Error).name;
  const why =
    name === 'AbortError' ? 'no data received for too long' : (cause ?? (err as Error).message);
  return new DownloadError(why, true);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new DownloadError('cancelled', false));
      },
      { once: true },
    );
  });
}

/** Collects a (small) body in memory. */
export class BufferSink implements ByteSink {
  private chunks: Buffer[] = [];

  async write(chunk: Buffer): Promise<void> {
    this.chunks.push(chunk);
  }
  async restart(): Promise<void> {
    this.chunks = [];
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
