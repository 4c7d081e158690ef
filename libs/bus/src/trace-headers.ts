import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { injectTraceContext, extractTraceContext } from '@ingot/telemetry';
import type { Context } from '@opentelemetry/api';

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
