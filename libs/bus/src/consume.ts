import { SpanKind } from '@opentelemetry/api';
import type { JsMsg } from '@nats-io/jetstream';
import type { TSchema, Static } from '@sinclair/typebox';
import { parse, ValidationError } from '@ingot/contracts';
import { withSpan, counter, spansRecorded, type Logger } from '@ingot/telemetry';
import type { Bus } from './bus.js';
import { incomingContext } from './trace-headers.js';

/** Thrown by a handler that cannot act yet (e.g. another conductor holds the node): retried later. */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

export interface DeliveryContext {
  subject: string;
  deliveryCount: number;
  maxDeliver: number;
  /** Nats-Msg-Id of the message, when it was published with one. */
  msgId: string | undefined;
  headers: Record<string, string>;
}

export interface ConsumerOptions<S extends TSchema> {
  /** Durable consumer name: every replica of a service uses the same one and they share the work. */
  durable: string;
  subject: string;
  schema: S;
  /** Words for logs and errors, e.g. "conductor command". */
  what: string;
  handle(message: Static<S>, ctx: DeliveryContext): Promise<void>;
  /** Called once when the last allowed delivery failed; must leave a visible trace (last_error). */
  onGiveUp?(message: Static<S>, error: unknown, ctx: DeliveryContext): Promise<void>;
  logger: Logger;
  maxDeliver?: number;
  ackWaitMs?: number;
  /** Delay before the n-th redelivery after a failure; the last value repeats. */
  backoffMs?: number[];
  concurrency?: number;
}

export interface RunningConsumer {
  /**
   * Stops taking messages and waits up to `graceMs` (default DEFAULT_STOP_GRACE_MS) for those in
   * hand. What is still unfinished then is handed back (nak without delay) so that another replica
   * takes it at once; a handler that ends after that neither acknowledges nor retries it.
   */
  stop(graceMs?: number): Promise<void>;
}

/** How long a stopping service lets its work in hand finish (INGOT_STOP_GRACE_MS). */
export const DEFAULT_STOP_GRACE_MS = 10_000;

/** Whether `work` settles within `ms` (it keeps running either way). */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = work.then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const handled = counter(
  'ingot_bus_messages_total',
  'Bus messages handled, by consumer and outcome',
  ['consumer', 'outcome'],
);

/**
 * Runs a durable pull consumer: each message is validated, handled inside a span that continues
 * the publisher's trace, acknowledged (without waiting for the server) only after the handler
 * succeeded, redelivered with backoff when it failed, and handed to `onGiveUp` after the last
 * allowed delivery, never dropped silently.
 */
export async function startConsumer<S extends TSchema>(
  bus: Bus,
  opts: ConsumerOptions<S>,
): Promise<RunningConsumer> {
  const maxDeliver = opts.maxDeliver ?? 8;
  const ackWaitMs = opts.ackWaitMs ?? 30_000;
  const backoff = opts.backoffMs ?? [500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000];
  const concurrency = opts.concurrency ?? 32;
  await bus.ensureConsumer(opts.durable, opts.subject, {
    ack_wait: ackWaitMs * 1_000_000,
    max_deliver: maxDeliver,
    max_ack_pending: Math.max(1_000, concurrency * 4),
  });
  const consumer = await bus.js.consumers.get(bus.subjects.commandStream, opts.durable);
  const messages = await consumer.consume({ max_messages: concurrency });

  const inFlight = new Map<JsMsg, Promise<void>>();
  /** Messages given back to the stream by stop(): their handlers' outcome no longer counts. */
  const handedBack = new WeakSet<JsMsg>();
  const loop = (async () => {
    for await (const msg of messages) {
      inFlight.set(
        msg,
        handleOne(msg).finally(() => inFlight.delete(msg)),
      );
      if (inFlight.size >= concurrency) await Promise.race(inFlight.values());
    }
  })();

  async function handleOne(msg: JsMsg): Promise<void> {
    const ctx: DeliveryContext = {
      subject: msg.subject,
      deliveryCount: msg.info.deliveryCount,
      maxDeliver,
      msgId: msg.headers?.get('Nats-Msg-Id') || undefined,
      headers: headerRecord(msg),
    };
    let message: Static<S>;
    try {
      message = parse(opts.schema, msg.json(), opts.what);
    } catch (error) {
      // A message that can never be valid is terminated at once, loudly.
      opts.logger.error(
        { err: describe(error), subject: msg.subject },
        `dropping invalid ${opts.what}`,
      );
      handled.inc({ consumer: opts.durable, outcome: 'invalid' });
      msg.term(error instanceof ValidationError ? error.message : 'unparsable');
      return;
    }
    const keepAlive = setInterval(
      () => {
        if (!handedBack.has(msg)) msg.working();
      },
      Math.max(1_000, ackWaitMs / 3),
    );
    try {
      await withSpan(
        `${opts.what} ${String((message as { type?: string }).type ?? '')}`.trim(),
        {
          kind: SpanKind.CONSUMER,
          parent: incomingContext(msg.headers),
          attributes: {
            'messaging.system': 'nats',
            'messaging.destination.name': msg.subject,
            'messaging.consumer.group.name': opts.durable,
            'messaging.message.id': ctx.msgId ?? '',
            'messaging.delivery_count': ctx.deliveryCount,
            ...nodeAttributes(message),
          },
        },
        () => opts.handle(message, ctx),
      );
      clearInterval(keepAlive);
      if (handedBack.has(msg)) return;
      // Fire and forget: an acknowledgement lost on the way only means a redelivery, which the
      // handlers' inbox, lease and state checks absorb; waiting for the server to confirm it
      // (ackAck) cost a request and a round trip per message. Closing the bus drains it.
      msg.ack();
      handled.inc({ consumer: opts.durable, outcome: 'ok' });
    } catch (error) {
      clearInterval(keepAlive);
      if (!handedBack.has(msg)) await settleFailure(msg, message, error, ctx);
    }
  }

  async function settleFailure(
    msg: JsMsg,
    message: Static<S>,
    error: unknown,
    ctx: DeliveryContext,
  ) {
    const last = ctx.deliveryCount >= maxDeliver;
    if (!last) {
      const delay =
        error instanceof RetryLater
          ? error.delayMs
          : (backoff[Math.min(ctx.deliveryCount - 1, backoff.length - 1)] ?? 1_000);
      opts.logger.warn(
        {
          err: describe(error),
          subject: msg.subject,
          delivery: ctx.deliveryCount,
          retry_in_ms: delay,
        },
        `${opts.what} failed; will retry`,
      );
      handled.inc({ consumer: opts.durable, outcome: 'retry' });
      msg.nak(delay);
      return;
    }
    opts.logger.error(
      { err: describe(error), subject: msg.subject, delivery: ctx.deliveryCount },
      `${opts.what} failed on its last allowed delivery; giving up`,
    );
    handled.inc({ consumer: opts.durable, outcome: 'gave_up' });
    try {
      await opts.onGiveUp?.(message, error, ctx);
      msg.term('gave up after max deliveries');
    } catch (giveUpError) {
      // Recording the failure failed too (e.g. database down): leave it to JetStream to redeliver.
      opts.logger.error(
        { err: describe(giveUpError) },
        `could not record the failure of a ${opts.what}`,
      );
      msg.nak(backoff[backoff.length - 1] ?? 30_000);
    }
  }

  return {
    async stop(graceMs = DEFAULT_STOP_GRACE_MS) {
      const deadline = Date.now() + graceMs;
      await messages.close();
      // The loop ends with the iterator, unless it waits for a free slot among the handlers.
      const rest = () => Math.max(0, deadline - Date.now());
      await settlesWithin(loop, rest());
      if (await settlesWithin(Promise.allSettled(inFlight.values()), rest())) return;
      const unfinished = [...inFlight.keys()];
      for (const msg of unfinished) {
        handedBack.add(msg);
        msg.nak();
      }
      opts.logger.warn(
        { count: unfinished.length, grace_ms: graceMs },
        `stopping: handed ${unfinished.length} unfinished ${opts.what}(s) back for another replica`,
      );
      handled.inc({ consumer: opts.durable, outcome: 'handed_back' }, unfinished.length);
    },
  };
}

function headerRecord(msg: JsMsg): Record<string, string> {
  const out: Record<string, string> = {};
  if (!msg.headers) return out;
  for (const [key, values] of msg.headers) out[key] = values[0] ?? '';
  return out;
}

function describe(error: unknown): { message: string; name?: string } {
  return error instanceof Error
    ? { message: error.message, name: error.name }
    : { message: String(error) };
}

const NO_ATTRIBUTES: Record<string, string> = Object.freeze({});

/** The node and site a message is about (commands and node events carry them), for its span. */
function nodeAttributes(message: unknown): Record<string, string> {
  if (!spansRecorded()) return NO_ATTRIBUTES;
  const { node_uuid: node, site } = message as { node_uuid?: unknown; site?: unknown };
  return {
    ...(typeof node === 'string' ? { 'ingot.node.uuid': node } : {}),
    ...(typeof site === 'string' ? { 'ingot.site': site || 'default' } : {}),
  };
}
