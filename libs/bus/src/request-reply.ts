import { randomUUID } from 'node:crypto';
import type { Static, TSchema } from '@sinclair/typebox';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { spansRecorded, withSpan } from '@ingot/telemetry';
import type { Bus } from './bus.js';
import {
  startConsumer,
  type ConsumerOptions,
  type DeliveryContext,
  type RunningConsumer,
} from './consume.js';
import { ReplyWaiter } from './reply-waiter.js';

/** Header naming the core-NATS subject a worker answers a command on. */
export const REPLY_TO_HEADER = 'Ingot-Reply-To';

/** What every answer to a command carries. */
export interface CommandReply {
  command_id: string;
  ok: boolean;
}

/** Whom a command is about: the node and its site (contracts' envelope fields). */
export interface CommandTarget {
  site: string;
  node_uuid: string;
  request_id?: string | undefined;
  /** For BMC commands (contracts' `driver_fingerprint`). */
  driver_fingerprint?: string;
}

/** The envelope every command on the bus carries (contracts' `envelopeFields`). */
export function commandEnvelope<T extends { type: string; payload: unknown }>(
  id: string,
  target: CommandTarget,
  message: T,
  timeoutMs: number,
  now = Date.now(),
) {
  return {
    id,
    ...message,
    site: target.site,
    node_uuid: target.node_uuid,
    request_id: target.request_id,
    ...(target.driver_fingerprint ? { driver_fingerprint: target.driver_fingerprint } : {}),
    issued_at: new Date(now).toISOString(),
    expires_at: new Date(now + timeoutMs).toISOString(),
  };
}

const PUBLISH_RETRY_MS = [100, 250, 500, 1_000, 2_000];

/**
 * Sends commands to a site's workers and waits for their answers on this instance's own
 * core-NATS subject. The command goes straight to JetStream, which keeps it until a worker
 * acknowledges it; it needs no outbox because it changes nothing in the database: a caller that
 * dies before or after publishing re-runs its persisted step, and every command is idempotent or
 * guarded by the worker's inbox. A bus that refuses the publish (NATS restarting) is retried with
 * backoff until the command would have expired.
 */
export class Requester<R extends CommandReply> {
  private readonly waiter: ReplyWaiter<R>;

  constructor(
    private readonly bus: Bus,
    owner: string,
  ) {
    this.waiter = new ReplyWaiter<R>(bus, owner);
  }

  async request<A extends R>(
    subject: string,
    target: CommandTarget,
    message: { type: string; payload: unknown },
    timeoutMs: number,
    onTimeout: () => Error,
  ): Promise<A> {
    if (!spansRecorded()) return this.send<A>(subject, target, message, timeoutMs, onTimeout);
    // A client span from the command to its answer: the worker's span is its child (OpenTelemetry's
    // rpc.* conventions, over the bus).
    return withSpan(
      message.type,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system': 'ingot-bus',
          'rpc.method': message.type,
          'messaging.system': 'nats',
          'messaging.destination.name': subject,
          'ingot.node.uuid': target.node_uuid,
          'ingot.site': target.site || 'default',
        },
      },
      async (span) => {
        const answer = await this.send<A>(subject, target, message, timeoutMs, onTimeout);
        if (!answer.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: 'answered not ok' });
        return answer;
      },
    );
  }

  private async send<A extends R>(
    subject: string,
    target: CommandTarget,
    message: { type: string; payload: unknown },
    timeoutMs: number,
    onTimeout: () => Error,
  ): Promise<A> {
    const id = randomUUID();
    const now = Date.now();
    const deadline = now + timeoutMs;
    const reply = this.waiter.wait(id, timeoutMs, onTimeout);
    reply.catch(() => undefined); // observed below; a failed publish must not leave it unhandled
    const envelope = commandEnvelope(id, target, message, timeoutMs, now);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.bus.publish(subject, envelope, {
          msgId: id,
          headers: { [REPLY_TO_HEADER]: this.waiter.subject },
        });
        break;
      } catch (error) {
        const delay = PUBLISH_RETRY_MS[Math.min(attempt, PUBLISH_RETRY_MS.length - 1)]!;
        if (Date.now() + delay >= deadline) {
          this.waiter.cancel(id);
          const failure = onTimeout();
          failure.message += ` (the bus did not take the command: ${(error as Error).message})`;
          throw failure;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return (await reply) as A;
  }

  /** Stops receiving answers; requests still waiting fail at once (see ReplyWaiter.close). */
  close(why?: string): void {
    this.waiter.close(why);
  }
}

export interface ResponderOptions<S extends TSchema, R extends CommandReply> extends Omit<
  ConsumerOptions<S>,
  'handle' | 'onGiveUp'
> {
  /**
   * Carries out one command and words its answer. Throws for a redelivery (a bug, a broken
   * disk); a failure the requester must act on is an `ok: false` answer.
   */
  answer(command: Static<S>, ctx: DeliveryContext): Promise<R>;
  /** The answer sent once the last allowed delivery failed, so the requester stops waiting. */
  giveUpAnswer(command: Static<S>, message: string): R;
  /** Told of a command that expired before it was started (it is not carried out). */
  onExpired?(command: Static<S>): void;
}

type Command = { id: string; type: string; node_uuid: string; expires_at?: string | undefined };

/**
 * Runs a site's worker for commands sent by a `Requester`: each command not yet expired is
 * answered on the requester's reply subject; an expired one is dropped (its requester already
 * recorded a timeout, and acting late would surprise everyone).
 */
export function startResponder<S extends TSchema, R extends CommandReply>(
  bus: Bus,
  opts: ResponderOptions<S, R>,
): Promise<RunningConsumer> {
  const send = (ctx: DeliveryContext, answer: R) => {
    const replyTo = ctx.headers[REPLY_TO_HEADER];
    if (replyTo) bus.publishCore(replyTo, answer);
  };
  return startConsumer(bus, {
    ...opts,
    async handle(command, ctx) {
      const cmd = command as Command;
      if (cmd.expires_at && Date.parse(cmd.expires_at) < Date.now()) {
        opts.logger.warn(
          { node: cmd.node_uuid, type: cmd.type, command: cmd.id },
          `dropping an expired ${opts.what}`,
        );
        opts.onExpired?.(command);
        return;
      }
      send(ctx, await opts.answer(command, ctx));
    },
    async onGiveUp(command, error, ctx) {
      const reason = error instanceof Error ? error.message : String(error);
      send(ctx, opts.giveUpAnswer(command, `failed ${ctx.deliveryCount} times: ${reason}`));
    },
  });
}
