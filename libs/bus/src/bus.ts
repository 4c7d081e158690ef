import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { SpanKind } from '@opentelemetry/api';
import { spansRecorded, withSpan } from '@ingot/telemetry';
import { outgoingHeaders, subjectTemplate, tracedParent } from './trace-headers.js';
import { subjectsFor, type Subjects } from './subjects.js';

export interface BusOptions {
  servers?: string | string[];
  prefix?: string;
  /** Connection name shown by the NATS server (monitoring, `nats server report`). */
  name?: string;
  /** JetStream's window for dropping a re-published message id. */
  duplicateWindowMs?: number;
}

export function busOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): BusOptions {
  const window = env.INGOT_BUS_DUPLICATE_WINDOW_MS;
  return {
    servers: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    prefix: env.INGOT_BUS_PREFIX ?? 'ingot',
    ...(window ? { duplicateWindowMs: Number(window) } : {}),
  };
}

const nanos = (ms: number) => ms * 1_000_000;
const encoder = new TextEncoder();

/** A connection to NATS with the Ingot streams in place. */
export class Bus {
  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly subjects: Subjects,
  ) {}

  static async connect(opts: BusOptions = {}): Promise<Bus> {
    const nc = await connect({
      servers: opts.servers ?? 'nats://127.0.0.1:4222',
      name: opts.name,
      maxReconnectAttempts: -1,
      // Every request (a JetStream publish is one) would otherwise build an Error up front to
      // keep the caller's stack: a few percent of each service's CPU under load, for stacks
      // our own error messages already make unnecessary.
      noAsyncTraces: true,
    });
    const jsm = await jetstreamManager(nc);
    const bus = new Bus(nc, jetstream(nc), jsm, subjectsFor(opts.prefix));
    await bus.ensureStreams(opts.duplicateWindowMs ?? 120_000);
    return bus;
  }

  /** Creates the streams, or brings an existing one's settings up to date. Safe to run at every start. */
  private async ensureStreams(duplicateWindowMs: number): Promise<void> {
    const s = this.subjects;
    await this.ensureStream({
      name: s.commandStream,
      subjects: [`${s.prefix}.cmd.>`],
      // A command leaves the stream once a worker acknowledged it.
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: nanos(duplicateWindowMs),
    });
    await this.ensureStream({
      name: s.eventStream,
      subjects: [`${s.prefix}.evt.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(7 * 24 * 3_600_000),
      duplicate_window: nanos(duplicateWindowMs),
    });
  }

  private async ensureStream(config: {
    name: string;
    subjects: string[];
    retention: RetentionPolicy;
    storage: StorageType;
    duplicate_window: number;
    max_age?: number;
  }): Promise<void> {
    try {
      await this.jsm.streams.info(config.name);
      const { retention: _retention, storage: _storage, ...updatable } = config;
      await this.jsm.streams.update(config.name, updatable);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.jsm.streams.add(config);
      } catch (addError) {
        // Another service created it between our info and add.
        if (!/already in use|already exists/i.test(String(addError))) throw addError;
      }
    }
  }

  /** Creates or updates a durable pull consumer on the command stream, filtered to one subject. */
  async ensureConsumer(
    durable: string,
    filterSubject: string,
    config: Partial<ConsumerConfig> = {},
  ): Promise<void> {
    const full: Partial<ConsumerConfig> = {
      durable_name: durable,
      filter_subject: filterSubject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...config,
    };
    try {
      await this.jsm.consumers.info(this.subjects.commandStream, durable);
      const { durable_name: _d, deliver_policy: _p, ...updatable } = full;
      await this.jsm.consumers.update(this.subjects.commandStream, durable, updatable);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.jsm.consumers.add(this.subjects.commandStream, full);
      } catch (addError) {
        if (!/already exists|already in use/i.test(String(addError))) throw addError;
      }
    }
  }

  /**
   * Publishes to JetStream with the current trace context. `msgId` makes a re-publish of the same
   * logical message a no-op inside the duplicate window.
   */
  publish(
    subject: string,
    payload: unknown,
    opts: { msgId?: string; headers?: Record<string, string> } = {},
  ): Promise<PubAck> {
    const data = encoder.encode(JSON.stringify(payload));
    const parent = spansRecorded() ? tracedParent(opts.headers) : undefined;
    if (!parent)
      return this.js.publish(subject, data, {
        msgID: opts.msgId,
        headers: outgoingHeaders(opts.headers),
      });
    // The publish is a span of the trace that wrote the message (an outbox row keeps the writer's
    // context in its headers), and the consumer continues from the publish.
    const { traceparent: _p, tracestate: _s, ...extra } = opts.headers ?? {};
    return withSpan(
      `publish ${subjectTemplate(subject)}`,
      {
        kind: SpanKind.PRODUCER,
        parent,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'publish',
          'messaging.destination.name': subject,
          'messaging.message.id': opts.msgId ?? '',
          'messaging.message.body.size': data.byteLength,
        },
      },
      () => this.js.publish(subject, data, { msgID: opts.msgId, headers: outgoingHeaders(extra) }),
    );
  }

  /** Fire-and-forget core-NATS publish (replies, which are not durable by design). */
  publishCore(subject: string, payload: unknown, headers: Record<string, string> = {}): void {
    this.nc.publish(subject, encoder.encode(JSON.stringify(payload)), {
      headers: outgoingHeaders(headers),
    });
  }

  subscribeCore(
    subject: string,
    onMessage: (data: unknown, subject: string) => void,
  ): Subscription {
    return this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) return;
        try {
          onMessage(msg.json(), msg.subject);
        } catch {
          // A malformed reply is dropped; the waiting side times out with a clear error.
        }
      },
    });
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}

function isNotFound(error: unknown): boolean {
  return /not found/i.test(String((error as Error)?.message ?? error));
}
