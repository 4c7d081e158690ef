import {
  DeliverPolicy,
  type Consumer,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import { siteToken, type Bus } from '@ingot/bus';
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../auth/policy.js';
import { ApiError } from '../errors.js';
import type { NodeVisibility } from './node-visibility.js';
import type { EventKind } from './query.js';
import { ConnectionClosed, type SseConnection } from './sse-connection.js';

/** What one stream delivers: resolved node uuids (empty: all), site, kinds (empty: all). */
export interface ResolvedFilter {
  nodeUuids: string[];
  site: string | undefined;
  kinds: EventKind[];
  resumeAfter: number | undefined;
}

/** Where a stream starts, decided against what the event stream still keeps. */
export interface StartPoint {
  /** The first stream sequence to deliver. */
  startSeq: number;
  /** What `ready` announces: every event up to it is not sent on this stream. */
  readyId: number;
  /** The client's Last-Event-ID is older than the stream keeps (or from another stream). */
  reset: boolean;
}

/** Messages asked of the server at a time: what this process holds at most per slow client. */
const BATCH = 32;
const FETCH_EXPIRES_MS = 30_000;
/** The server removes a consumer whose API process died without deleting it. */
const CONSUMER_INACTIVE_MS = 60_000;

export function startPoint(
  resumeAfter: number | undefined,
  stream: { first_seq: number; last_seq: number },
): StartPoint {
  const live = { startSeq: stream.last_seq + 1, readyId: stream.last_seq };
  if (resumeAfter === undefined) return { ...live, reset: false };
  // Events between the client's last one and the oldest kept are gone; an id past the last one
  // comes from a stream that was since recreated. Either way the client must reload its state.
  const lost = resumeAfter + 1 < stream.first_seq && stream.last_seq > 0;
  if (lost || resumeAfter > stream.last_seq) return { ...live, reset: true };
  return { startSeq: resumeAfter + 1, readyId: resumeAfter, reset: false };
}

/**
 * One client's live node events: an ordered (ephemeral, unacknowledged) consumer on the event
 * stream from the start point, filtered by subject where one subject says it (NATS 2.9 takes one
 * filter per consumer) and in process otherwise, and by what the principal may read. Messages are
 * fetched a batch at a time and only when the client took the previous ones, so a slow client
 * holds a bounded amount of memory here; the consumer is deleted when the client goes.
 */
export class NodeEventStream {
  private consumer: Consumer | undefined;
  private batch: ConsumerMessages | undefined;
  private readonly nodes: Set<string>;
  private readonly kinds: Set<string>;

  private constructor(
    private readonly bus: Bus,
    private readonly filter: ResolvedFilter,
    private readonly principal: Principal,
    private readonly visibility: NodeVisibility,
    private readonly log: FastifyBaseLogger,
    readonly start: StartPoint,
  ) {
    this.nodes = new Set(filter.nodeUuids);
    this.kinds = new Set(filter.kinds);
  }

  /** Creates the consumer; a bus that cannot be reached is a 503 (nothing was sent yet). */
  static async open(
    bus: Bus,
    filter: ResolvedFilter,
    principal: Principal,
    visibility: NodeVisibility,
    log: FastifyBaseLogger,
  ): Promise<NodeEventStream> {
    const streamName = bus.subjects.eventStream;
    try {
      const info = await bus.jsm.streams.info(streamName);
      const stream = new NodeEventStream(
        bus,
        filter,
        principal,
        visibility,
        log,
        startPoint(filter.resumeAfter, info.state),
      );
      stream.consumer = await bus.js.consumers.get(streamName, {
        filter_subjects: stream.subject(),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: stream.start.startSeq,
        inactive_threshold: CONSUMER_INACTIVE_MS,
      });
      return stream;
    } catch (error) {
      throw new ApiError(
        503,
        `The event bus is unavailable, no event stream can start: ${(error as Error).message}`,
      );
    }
  }

  /** The narrowest single subject the filter allows. */
  private subject(): string {
    const { nodeUuids, kinds } = this.filter;
    const kind = kinds.length === 1 ? kinds[0]! : '*';
    if (nodeUuids.length === 1) return this.bus.subjects.nodeEvent(nodeUuids[0]!, kind);
    if (kinds.length === 1) return this.bus.subjects.nodeEvent('*', kind);
    return this.bus.subjects.nodeEvents();
  }

  /** Sends the stream's events to the connection until it closes or the bus fails. */
  async pipeTo(connection: SseConnection): Promise<void> {
    connection.onClose(() => this.batch?.stop());
    try {
      if (this.start.reset)
        await connection.send({
          id: this.start.readyId,
          event: 'reset',
          data: { last_event_id: this.start.readyId },
        });
      await connection.send({
        id: this.start.readyId,
        event: 'ready',
        data: { last_event_id: this.start.readyId },
      });
      while (!connection.closed) {
        this.batch = await this.consumer!.fetch({
          max_messages: BATCH,
          expires: FETCH_EXPIRES_MS,
        });
        for await (const msg of this.batch) {
          if (connection.closed) break;
          const event = await this.eventFor(msg);
          if (event) await connection.send(event);
        }
      }
    } catch (error) {
      if (!(error instanceof ConnectionClosed)) {
        this.log.warn({ err: (error as Error).message }, 'event stream ended: bus failure');
        connection.end(
          `closed: the event bus failed (${(error as Error).message}); reconnect with Last-Event-ID to resume`,
        );
      }
    } finally {
      this.batch?.stop();
      await this.consumer?.delete().catch(() => undefined);
    }
  }

  /** The SSE message for a bus message, or undefined when this client is not to see it. */
  private async eventFor(
    msg: JsMsg,
  ): Promise<{ id: number; event: string; data: unknown } | undefined> {
    const kind = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    if (this.kinds.size > 0 && !this.kinds.has(kind)) return undefined;
    let payload: { type?: unknown; node_uuid?: unknown; site?: unknown };
    try {
      payload = msg.json();
    } catch {
      return undefined; // not an event anyone published on purpose
    }
    const node = typeof payload?.node_uuid === 'string' ? payload.node_uuid : undefined;
    if (!node || typeof payload.type !== 'string') return undefined;
    if (this.nodes.size > 0 && !this.nodes.has(node)) return undefined;
    if (
      this.filter.site !== undefined &&
      siteToken(typeof payload.site === 'string' ? payload.site : '') !==
        siteToken(this.filter.site)
    )
      return undefined;
    if (!(await this.visibility.canSee(this.principal, node))) return undefined;
    return { id: msg.seq, event: payload.type, data: payload };
  }
}
