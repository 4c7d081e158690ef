import { RetryLater, siteToken } from '@ingot/bus';
import {
  acquireLease,
  Batcher,
  releaseLeases,
  renewLeases,
  type Db,
  type NodeRow,
} from '@ingot/store';
import { counter, setActiveSpanAttributes, spansRecorded, type Logger } from '@ingot/telemetry';
import { CONDUCTOR_INBOX } from './context.js';
import { inWaitTrace, nodeSpanAttributes } from './wait-trace.js';

// Whose nodes this conductor worked on, by the site in the node's row (not the subject its
// commands came on): every touch of a node goes through a lease, sweeps and power sync included.
const leasesTaken = counter(
  'ingot_conductor_node_leases_total',
  'Node leases taken by this conductor, by the site (conductor_group) of the node and purpose',
  ['node_site', 'purpose'],
);

export interface LeaseOptions {
  db: Db;
  owner: string;
  ttlMs: number;
  logger: Logger;
}

/** What a task holds while it works on a node: the node as loaded, and whether the lease is still ours. */
export interface LeasedNode {
  node: NodeRow;
  owner: string;
  /** Aborted when a renewal finds the lease taken: the task must stop writing. */
  signal: AbortSignal;
  /** Whether the conductor already acted on the bus message the task was given (`message`). */
  handled: boolean;
}

/**
 * Tasks a node's wait calls for, which continue the trace of the task that began the wait (see
 * wait-trace.ts); a person's command (power, abort) stays in its own request's trace.
 */
const CONTINUE_WAIT_TRACE: ReadonlySet<string> = new Set([
  'heartbeat',
  'inspection result',
  'resume',
  'deadline',
  'agent check',
]);

export interface LeaseTaskOptions {
  /** How long to wait for another conductor's lease; default: one lease TTL and a second. */
  waitMs?: number;
  /** The command's message id: its inbox check comes back with the lease (`handled`). */
  messageId?: string;
}

/**
 * The conductor's task manager (Ironic's task_manager.acquire): the only way a handler touches a
 * node. It serialises work on a node inside this process, takes the node's lease in PostgreSQL,
 * renews every lease it holds, and releases it when the task ends. A dead conductor's leases expire
 * and another conductor's task can then take the node.
 */
export class NodeLeases {
  private readonly held = new Map<string, AbortController>();
  private closed = false;
  private readonly localQueue = new Map<string, Promise<unknown>>();
  private readonly renewTimer: NodeJS.Timeout;
  /**
   * Releases of finished tasks: while one release statement runs, the tasks that end meanwhile
   * gather for the next, so a busy conductor releases many leases per round trip.
   */
  private readonly releases = new Batcher<string, void>(
    async (uuids) => {
      try {
        await releaseLeases(this.opts.db, uuids, this.opts.owner);
      } catch (error) {
        this.opts.logger.warn(
          { err: String(error), nodes: uuids },
          'could not release leases; they will expire',
        );
      }
      return uuids.map(() => undefined);
    },
    {
      maxBatch: 500,
      maxInFlight: 1,
      span: { operation: 'UPDATE', collection: 'nodes', summary: 'UPDATE nodes (release lease)' },
    },
  );

  constructor(private readonly opts: LeaseOptions) {
    this.renewTimer = setInterval(() => void this.renew(), Math.max(200, opts.ttlMs / 3));
  }

  /**
   * Runs `fn` holding the node's lease. When another conductor holds it, waits up to `waitMs`
   * for it to be released or to expire, then gives up with RetryLater. Returns undefined when the
   * node does not exist.
   */
  async withNodeLease<T>(
    nodeUuid: string,
    purpose: string,
    fn: (leased: LeasedNode) => Promise<T>,
    options: LeaseTaskOptions = {},
  ): Promise<T | undefined> {
    const waitMs = options.waitMs ?? this.opts.ttlMs + 1_000;
    return this.serialised(nodeUuid, async () => {
      if (this.closed) throw new RetryLater('this conductor is stopping', 0);
      const acquired = await this.acquire(nodeUuid, purpose, waitMs, options.messageId);
      if (!acquired) return undefined;
      const { handled, ...node } = acquired;
      const traced = spansRecorded();
      if (traced) setActiveSpanAttributes(() => nodeSpanAttributes(node));
      const controller = new AbortController();
      this.held.set(nodeUuid, controller);
      const leased = { node, owner: this.opts.owner, signal: controller.signal, handled };
      try {
        return await (traced && CONTINUE_WAIT_TRACE.has(purpose)
          ? inWaitTrace(node, purpose, () => fn(leased))
          : fn(leased));
      } finally {
        this.held.delete(nodeUuid);
        // The next task on this node in this process waits for the release (serialised).
        if (!controller.signal.aborted) await this.releases.submit(nodeUuid);
      }
    });
  }

  heldCount(): number {
    return this.held.size;
  }

  /**
   * Gives up every lease still held, for a stopping conductor: the tasks holding them are aborted
   * (their writes are fenced off from here on) and the leases released in one statement, so that
   * another conductor resumes those nodes at once instead of after the lease TTL. No lease is
   * taken afterwards.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.renewTimer);
    const tasks = [...this.held.entries()];
    this.held.clear();
    for (const [, controller] of tasks) controller.abort(new Error('the conductor is stopping'));
    if (tasks.length === 0) return;
    try {
      await releaseLeases(
        this.opts.db,
        tasks.map(([uuid]) => uuid),
        this.opts.owner,
      );
      this.opts.logger.info({ nodes: tasks.length }, 'stopping: released the leases still held');
    } catch (error) {
      this.opts.logger.warn(
        { err: String(error), nodes: tasks.length },
        'stopping: could not release leases; they will expire',
      );
    }
  }

  private async acquire(
    nodeUuid: string,
    purpose: string,
    waitMs: number,
    messageId: string | undefined,
  ): Promise<(NodeRow & { handled: boolean }) | undefined> {
    const deadline = Date.now() + waitMs;
    for (let pause = 100; ; pause = Math.min(pause * 2, 2_000)) {
      const node = await acquireLease(
        this.opts.db,
        nodeUuid,
        this.opts.owner,
        this.opts.ttlMs,
        purpose,
        messageId === undefined ? undefined : { consumer: CONDUCTOR_INBOX, messageId },
      );
      if (node) {
        leasesTaken.inc({ node_site: siteToken(node.conductorGroup), purpose });
        return node;
      }
      const exists = await this.opts.db.query.nodes.findFirst({
        where: (n, { eq }) => eq(n.uuid, nodeUuid),
        columns: { uuid: true, leaseOwner: true },
      });
      if (!exists) return undefined;
      if (Date.now() + pause > deadline) {
        throw new RetryLater(
          `node ${nodeUuid} is held by ${exists.leaseOwner ?? 'another conductor'}`,
          2_000,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private async renew(): Promise<void> {
    const tasks = [...this.held.entries()];
    if (tasks.length === 0) return;
    try {
      const still = await renewLeases(
        this.opts.db,
        this.opts.owner,
        tasks.map(([uuid]) => uuid),
        this.opts.ttlMs,
      );
      for (const [uuid, controller] of tasks) {
        // A task that ended while the renewal ran released its lease itself, and a new task on the
        // node holds a fresh one: neither was lost, so only a task still running is abandoned.
        if (still.has(uuid) || this.held.get(uuid) !== controller) continue;
        this.opts.logger.error(
          { node: uuid },
          'lease lost to another conductor; abandoning the task',
        );
        controller.abort(new Error(`lease of node ${uuid} was lost`));
      }
    } catch (error) {
      this.opts.logger.warn({ err: String(error) }, 'lease renewal failed; will retry');
    }
  }

  /** One task per node at a time in this process; the DB lease handles other processes. */
  private serialised<T>(nodeUuid: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.localQueue.get(nodeUuid) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.localQueue.set(nodeUuid, tail);
    void tail.then(() => {
      if (this.localQueue.get(nodeUuid) === tail) this.localQueue.delete(nodeUuid);
    });
    return run;
  }
}
