import { and, eq, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import {
  failedStateFor,
  STUCK_STATES_TREATED_AS_FAIL,
  transition,
  WAIT_STATES,
} from '@ingot/lifecycle';
import { RetryLater } from '@ingot/bus';
import { conductors, nodes } from '@ingot/store';
import type { ConductorContext } from './context.js';
import { provisionTransition, writeNode } from './node-writer.js';
import { checkOnAgent } from './operations/agent-watch.js';
import { failOperation } from './operations/fail.js';
import { silenceLimitMs } from './operations/ramdisk-boot.js';
import { OPERATIONS } from './operations/index.js';
import { deployInterfaceOf, DRIVERS_RESUMED_IN_WAIT } from './interfaces/deploy.js';

/** Hardware types whose deploy interface is fake. */
const leaseFree = or(isNull(nodes.leaseOwner), lt(nodes.leaseExpiresAt, sql`now()`));
/** wake_at has come (or nothing is scheduled). */
const awake = or(isNull(nodes.wakeAt), lte(nodes.wakeAt, sql`now()`));

/** Node tasks a conductor's sweeps run at once; more wait for a later sweep. */
const MAX_SWEEP_TASKS = 200;

/**
 * Periodic work of every conductor of a site; leases make it safe to run on all of them at once:
 * - nodes left in an in-progress state by a dead conductor are resumed from their persisted step
 *   (or failed, for states whose step cannot be resumed, as Ironic does), and so are nodes whose
 *   step was put off (a transient failure, an image still being fetched) once wake_at has come;
 * - nodes waiting for their agent whose check is due (wake_at) have it checked: a ramdisk that
 *   never made contact, or an agent that went silent, is booted again or failed (agent-watch.ts);
 * - nodes whose wait deadline passed go to their failed state with a last_error saying so;
 * - this conductor's liveness row is refreshed.
 * The work on each node runs on its own: a sweep starts it and does not wait for it (a step may
 * wait minutes for a BMC or an image), so one slow node holds up neither the sweeps nor the
 * other nodes.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Node tasks started by sweeps and not finished, by node: never two at once on one node. */
  private readonly tasks = new Map<string, Promise<void>>();

  constructor(private readonly ctx: ConductorContext) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((error) => this.ctx.logger.warn({ err: String(error) }, 'sweep failed; will retry'))
        .finally(() => (this.running = undefined));
    }, this.ctx.config.sweepIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await Promise.allSettled([...this.tasks.values()]);
  }

  async sweep(): Promise<void> {
    await this.heartbeat();
    await Promise.all([this.resumeOrphans(), this.expireDeadlines(), this.watchAgents()]);
  }

  /** Runs `task` for the node unless a sweep's task on it is still running (or too many are). */
  private spawn(uuid: string, what: string, task: () => Promise<unknown>): void {
    if (this.tasks.has(uuid) || this.tasks.size >= MAX_SWEEP_TASKS) return;
    const running = task()
      .then(() => undefined)
      .catch((error: unknown) => {
        // Held by someone else (RetryLater): they are working on it. Anything else: next sweep.
        if (!(error instanceof RetryLater))
          this.ctx.logger.warn({ node: uuid, err: String(error) }, `${what} failed; will retry`);
      })
      .finally(() => this.tasks.delete(uuid));
    this.tasks.set(uuid, running);
  }

  private async heartbeat(): Promise<void> {
    await this.ctx.db
      .update(conductors)
      .set({ heartbeatAt: new Date() })
      .where(eq(conductors.id, this.ctx.config.id));
  }

  private async resumeOrphans(): Promise<void> {
    const candidates = await this.ctx.db
      .select({ uuid: nodes.uuid })
      .from(nodes)
      .where(
        and(
          eq(nodes.conductorGroup, this.ctx.config.site),
          or(
            inArray(nodes.provisionState, [...STUCK_STATES_TREATED_AS_FAIL]),
            // A deploy interface without an agent passes wait call-back inside one step: there,
            // a free lease means its conductor died mid-step, and no agent will ever call back.
            and(
              eq(nodes.provisionState, 'wait call-back'),
              inArray(nodes.driver, [...DRIVERS_RESUMED_IN_WAIT]),
            ),
          ),
          leaseFree,
          awake,
        ),
      )
      .limit(200);
    for (const { uuid } of candidates)
      this.spawn(uuid, 'resuming the node', () => this.resume(uuid));
  }

  private async resume(uuid: string): Promise<void> {
    await this.ctx.leases
      .withNodeLease(
        uuid,
        'resume',
        async (leased) => {
          const state = leased.node.provisionState;
          if (leased.node.wakeAt && leased.node.wakeAt > new Date()) return; // put off meanwhile
          const runner =
            state === 'wait call-back'
              ? deployInterfaceOf(leased.node).resumeWait
              : OPERATIONS[state];
          if (runner) {
            this.ctx.logger.info(
              { node: uuid, state },
              leased.node.wakeAt
                ? 'running a step put off until now (after a transient failure, or to ask for an image again)'
                : 'resuming a node left by another conductor',
            );
            return runner(this.ctx, leased);
          }
          const failed = failedStateFor(state);
          if (!failed || !STUCK_STATES_TREATED_AS_FAIL.has(state)) return; // moved on meanwhile
          await writeNode(
            this.ctx.db,
            leased,
            undefined,
            provisionTransition(this.ctx.bus.subjects, leased.node, {
              to: failed,
              target: null,
              event: 'taken over',
              lastError: `The conductor working on this node in state '${state}' stopped; the step cannot be resumed`,
            }),
          );
        },
        { waitMs: 0 },
      )
      .catch(() => undefined); // someone else holds it: they are working on it
  }

  private async expireDeadlines(): Promise<void> {
    const late = await this.ctx.db
      .select({ uuid: nodes.uuid })
      .from(nodes)
      .where(
        and(
          eq(nodes.conductorGroup, this.ctx.config.site),
          isNotNull(nodes.deadlineAt),
          lt(nodes.deadlineAt, sql`now()`),
          leaseFree,
        ),
      )
      .limit(200);
    for (const { uuid } of late)
      this.spawn(uuid, 'failing a node past its deadline', () =>
        this.ctx.leases
          .withNodeLease(
            uuid,
            'deadline',
            async (leased) => {
              const node = leased.node;
              if (!node.deadlineAt || node.deadlineAt > new Date()) return;
              if (
                !transition(node.provisionState, 'fail', {
                  currentTarget: node.targetProvisionState,
                }).ok
              )
                return;
              const waited = Math.round(
                (Date.now() - (node.provisionUpdatedAt ?? node.deadlineAt).getTime()) / 1000,
              );
              // Power off, eject and wipe the token too: a late agent must find nothing to act on.
              await failOperation(
                this.ctx,
                leased,
                `Timed out in state '${node.provisionState}' after ${waited} s without the agent finishing (deadline ${node.deadlineAt.toISOString()})`,
              );
            },
            { waitMs: 0 },
          )
          .catch(() => undefined),
      );
  }

  /**
   * Nodes waiting for their agent whose check is due (wake_at, through its partial index). Those
   * whose agent was heard of lately get their next check moved past their last sign of life, all
   * in one statement and without a lease: wake_at is only a schedule, a concurrent write of the
   * node wins, and PostgreSQL checks the WHERE again on a row changed meanwhile. The others are
   * checked one by one under their lease (checkOnAgent), which boots them again or fails them.
   */
  private async watchAgents(): Promise<void> {
    const { db, config } = this.ctx;
    const lastSign = sql`greatest(${nodes.agentContactAt}, ${nodes.agentLastHeartbeat})`;
    const nextCheck = sql`${lastSign} + ${silenceLimitMs(config)}::bigint * interval '1 millisecond'`;
    const due = and(
      eq(nodes.conductorGroup, config.site),
      lte(nodes.wakeAt, sql`now()`),
      inArray(nodes.provisionState, [...WAIT_STATES]),
    );
    await db
      .update(nodes)
      .set({ wakeAt: nextCheck })
      .where(and(due, sql`${nextCheck} > now()`));
    const silent = await db
      .select({ uuid: nodes.uuid })
      .from(nodes)
      .where(and(due, eq(nodes.maintenance, false), leaseFree))
      .limit(200);
    for (const { uuid } of silent)
      this.spawn(uuid, "checking on the node's agent", () =>
        this.ctx.leases.withNodeLease(
          uuid,
          'agent check',
          (leased) => checkOnAgent(this.ctx, leased),
          { waitMs: 0 },
        ),
      );
  }
}
