// Hand-made spans and W3C trace context over any header-like carrier (HTTP or NATS headers).
import {
  context,
  isSpanContextValid,
  propagation,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  Link,
  Span,
  SpanContext,
  SpanKind,
  TimeInput,
} from '@opentelemetry/api';

export const tracer = trace.getTracer('ingot');

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Defaults to the active context; pass an extracted context to continue a remote trace. */
  parent?: Context;
  /** Other traces this span belongs to as well (a batch serving many callers, a heartbeat's own trace). */
  links?: Link[];
  /** When the span began, if before now (a wait that began in another process). */
  startTime?: TimeInput;
}

// Set by startTelemetry when spans go to an exporter; kept on globalThis like the provider.
const recording = Symbol.for('ingot.telemetry.spansRecorded');
type RecordingSlot = { [recording]?: boolean };

/**
 * Whether spans are exported. Fine-grained spans (database batches, bus publishes, agent calls)
 * are only made then: without an exporter a span is an allocation nobody reads. The coarse spans
 * (a request, a command) are made either way, for trace ids in logs and propagation.
 */
export function spansRecorded(): boolean {
  return (globalThis as RecordingSlot)[recording] === true;
}

/** For startTelemetry (and tests): whether spans are exported from now on. */
export function setSpansRecorded(value: boolean): void {
  (globalThis as RecordingSlot)[recording] = value;
}

/** Runs fn inside an active span; a throw marks the span as failed. The span always ends. */
export function withSpan<T>(
  name: string,
  opts: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = opts.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    { kind: opts.kind, attributes: opts.attributes, links: opts.links, startTime: opts.startTime },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** Writes traceparent/tracestate/baggage for ctx (default: the active context) through set. */
export function injectTraceContext(
  set: (key: string, value: string) => void,
  ctx: Context = context.active(),
): void {
  propagation.inject(ctx, undefined, { set: (_carrier, key, value) => set(key, value) });
}

/** Reads trace context through get and returns the active context with it as the remote parent. */
export function extractTraceContext(
  get: (key: string) => string | string[] | undefined,
  keys: () => string[] = () => [],
): Context {
  return propagation.extract(context.active(), undefined, {
    get: (_carrier, key) => get(key),
    keys: () => keys(),
  });
}

/** The trace id of the active span, if there is a valid one. */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/**
 * withSpan when spans are exported, else fn alone (no span, no allocation): for the spans that
 * only matter to someone reading the trace. fn gets no span; it may use trace.getActiveSpan().
 */
export function withDetailSpan<T>(
  name: string,
  opts: SpanOptions | (() => SpanOptions),
  fn: () => Promise<T>,
): Promise<T> {
  if (!spansRecorded()) return fn();
  return withSpan(name, typeof opts === 'function' ? opts() : opts, fn);
}

/** Sets attributes on the active span if it is exported (the node a task turned out to be about). */
export function setActiveSpanAttributes(attributes: () => Attributes): void {
  if (!spansRecorded()) return;
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.setAttributes(attributes());
}

/** The W3C traceparent of the active span, to persist beside work that resumes later. */
export function activeTraceparent(): string | undefined {
  let traceparent: string | undefined;
  injectTraceContext((key, value) => {
    if (key === 'traceparent') traceparent = value;
  });
  return traceparent;
}

/** A context whose remote parent is a persisted traceparent (undefined if it is malformed). */
export function contextOfTraceparent(traceparent: string): Context | undefined {
  const ctx = propagation.extract(context.active(), { traceparent });
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && isSpanContextValid(spanContext) ? ctx : undefined;
}

/** The active span's context as a link, for a span that starts in another trace. */
export function linkToActive(): Link[] {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}

/**
 * Records a span that already happened: it began at `startTime` (possibly in another process,
 * before a restart) and ends now, e.g. the time a node spent in a wait state.
 */
export function recordPastSpan(
  name: string,
  opts: SpanOptions & { startTime: TimeInput; error?: string },
): void {
  const span = tracer.startSpan(
    name,
    { kind: opts.kind, attributes: opts.attributes, links: opts.links, startTime: opts.startTime },
    opts.parent ?? context.active(),
  );
  if (opts.error) span.setStatus({ code: SpanStatusCode.ERROR, message: opts.error });
  span.end();
}

/** The active span's context when spans are exported and it is one of them; else undefined. */
export function recordingSpanContext(): SpanContext | undefined {
  if (!spansRecorded()) return undefined;
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span.spanContext() : undefined;
}

/** Links a span keeps at most (the SDK's default limit). */
const MAX_LINKS = 128;

/**
 * One span for work done at once for many callers (a group-committed statement): a child of the
 * first caller that was traced, linked to the others, so each caller's trace leads to it at the
 * cost of one span per batch. Without a traced caller no span is made: a batch never starts a
 * trace of its own.
 */
export function withFanInSpan<T>(
  name: string,
  callers: readonly (SpanContext | undefined)[],
  opts: Omit<SpanOptions, 'parent' | 'links'>,
  fn: () => Promise<T>,
): Promise<T> {
  const traced = callers.filter((c): c is SpanContext => c !== undefined);
  const [first, ...others] = traced;
  if (!first) return fn();
  return withSpan(
    name,
    {
      ...opts,
      parent: trace.setSpanContext(ROOT_CONTEXT, first),
      links: others.slice(0, MAX_LINKS).map((spanContext) => ({ context: spanContext })),
    },
    fn,
  );
}
