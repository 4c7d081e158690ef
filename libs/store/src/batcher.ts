import {
  recordingSpanContext,
  SpanKind,
  spansRecorded,
  withFanInSpan,
  type SpanContext,
} from '@ingot/telemetry';

/** The span of each statement, when spans are exported (OpenTelemetry's db.* conventions). */
export interface BatchSpan {
  /** e.g. "UPDATE nodes" ({db.operation.name} {db.collection.name}). */
  operation: string;
  collection: string;
  /** The span's name (db.query.summary) when the operation and table alone say too little. */
  summary?: string;
}

export interface BatcherOptions<I> {
  /** Most inputs per statement. */
  maxBatch: number;
  /** Statements running at once; while they run, new inputs gather for the next. */
  maxInFlight: number;
  /** Inputs with the same key never share a batch (one row per node in a statement). */
  key?: (input: I) => string;
  /** Batches run in this order (rows locked in one order by every process: no deadlock). */
  compare?: (a: I, b: I) => number;
  /** A failed batch is retried input by input, so that one bad input fails alone. */
  retrySingly?: boolean;
  /** One span per statement, a child of its first traced caller and linked to the others. */
  span?: BatchSpan;
}

interface Queued<I, O> {
  input: I;
  /** The caller's span, when spans are exported (undefined otherwise: nothing to allocate). */
  caller: SpanContext | undefined;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for statements of one shape: each `submit` waits for a statement that runs its
 * input together with the others that arrived meanwhile. A lone input goes at once; under load a
 * process sends one statement for many nodes, since a round trip costs more than the rows.
 */
export class Batcher<I, O> {
  private queue: Queued<I, O>[] = [];
  private inFlight = 0;

  constructor(
    private readonly runBatch: (inputs: I[]) => Promise<O[]>,
    private readonly opts: BatcherOptions<I>,
  ) {}

  submit(input: I): Promise<O> {
    return new Promise((resolve, reject) => {
      const caller = this.opts.span ? recordingSpanContext() : undefined;
      this.queue.push({ input, caller, resolve, reject });
      if (this.inFlight < this.opts.maxInFlight) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.inFlight++;
    try {
      while (this.queue.length > 0) await this.run(this.take());
    } finally {
      this.inFlight--;
    }
  }

  private take(): Queued<I, O>[] {
    const { key, compare, maxBatch } = this.opts;
    let batch: Queued<I, O>[];
    if (!key) batch = this.queue.splice(0, maxBatch);
    else {
      const seen = new Set<string>();
      const rest: Queued<I, O>[] = [];
      batch = [];
      for (const queued of this.queue) {
        const k = key(queued.input);
        if (batch.length < maxBatch && !seen.has(k)) {
          seen.add(k);
          batch.push(queued);
        } else rest.push(queued);
      }
      this.queue = rest;
    }
    return compare ? batch.sort((a, b) => compare(a.input, b.input)) : batch;
  }

  private async run(batch: Queued<I, O>[]): Promise<void> {
    try {
      const inputs = batch.map((q) => q.input);
      const span = this.opts.span;
      const outputs =
        span && spansRecorded()
          ? await withFanInSpan(
              span.summary ?? `${span.operation} ${span.collection}`,
              batch.map((q) => q.caller),
              {
                kind: SpanKind.CLIENT,
                attributes: {
                  'db.system.name': 'postgresql',
                  'db.operation.name': span.operation,
                  'db.collection.name': span.collection,
                  'db.operation.batch.size': batch.length,
                  ...(span.summary ? { 'db.query.summary': span.summary } : {}),
                },
              },
              () => this.runBatch(inputs),
            )
          : await this.runBatch(inputs);
      batch.forEach((q, i) => q.resolve(outputs[i] as O));
    } catch (error) {
      if (!this.opts.retrySingly || batch.length === 1) {
        for (const q of batch) q.reject(error);
        return;
      }
      for (const q of batch) await this.run([q]);
    }
  }
}

/** One batcher per database handle and purpose. */
export function batcherFor<K extends object, I, O>(
  cache: WeakMap<K, Batcher<I, O>>,
  handle: K,
  make: () => Batcher<I, O>,
): Batcher<I, O> {
  let batcher = cache.get(handle);
  if (!batcher) cache.set(handle, (batcher = make()));
  return batcher;
}

/** Orders inputs by node uuid (lowercase text sorts as PostgreSQL sorts uuids). */
const byNodeUuid = (a: { uuid: string }, b: { uuid: string }): number =>
  a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;

/**
 * For statements that lock and write node rows: one input per node, sorted by node so that every
 * process locks rows in one order, a failed batch retried input by input.
 */
export const NODE_ROW_BATCHES: BatcherOptions<{ uuid: string }> = {
  maxBatch: 200,
  maxInFlight: 2,
  key: (input) => input.uuid,
  compare: byNodeUuid,
  retrySingly: true,
};
