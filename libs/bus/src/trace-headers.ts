import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { injectTraceContext, extractTraceContext } from '@ingot/telemetry';
import { context, trace, type Context } from '@opentelemetry/api';

/** NATS headers carrying the active W3C trace context, plus any extra headers. */
export function outgoingHeaders(extra: Record<string, string> = {}, msgId?: string): MsgHdrs {
  const h = natsHeaders();
  for (const [key, value] of Object.entries(extra)) h.set(key, value);
  if (!h.has('traceparent')) injectTraceContext((key, value) => h.set(key, value));
  if (msgId) h.set('Nats-Msg-Id', msgId);
  return h;
}

/** The trace context a message was published in. */
export function incomingContext(h: MsgHdrs | undefined): Context {
  return extractTraceContext((key) => (h?.has(key) ? h.get(key) : undefined));
}

/** The caller's trace context as a plain record, to store beside an outbox row. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  injectTraceContext((key, value) => {
    carrier[key] = value;
  });
  return carrier;
}

/**
 * The context a publish continues when it is traced: the one stored with the message (an outbox
 * row's headers), else the active one; undefined when neither holds an exported span, so that
 * background publishes start no traces of their own.
 */
export function tracedParent(headers: Record<string, string> | undefined): Context | undefined {
  const ctx = headers?.traceparent ? extractTraceContext((key) => headers[key]) : context.active();
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || (spanContext.traceFlags & 1) === 0) return undefined;
  return headers?.traceparent || trace.getSpan(ctx)?.isRecording() ? ctx : undefined;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** A subject with its node uuid as `{node}`: span names stay few (the uuid is an attribute). */
export function subjectTemplate(subject: string): string {
  return subject.replace(UUID, '{node}');
}
