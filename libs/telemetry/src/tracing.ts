// Hand-made spans and W3C trace context over any header-like carrier (HTTP or NATS headers).
import {
  context,
  isSpanContextValid,
  propagation,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanKind } from '@opentelemetry/api';

export const tracer = trace.getTracer('ingot');

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Defaults to the active context; pass an extracted context to continue a remote trace. */
  parent?: Context;
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
    { kind: opts.kind, attributes: opts.attributes },
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
