import { and, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import { failedStateFor, STUCK_STATES_TREATED_AS_FAIL, transition } from '@ingot/lifecycle';
import { HARDWARE_TYPES } from '@ingot/contracts';
import { conductors, nodes } from '@ingot/store';
import type { ConductorContext } from './context.js';
import { provisionTransition, writeNode } from './node-writer.js';
import { failOperation } from './operations/fail.js';
import { OPERATIONS } from './operations/index.js';
import { fakeDeploy } from './operations/fake.js';
import { deploysFake } from './driver-composition.js';

/** Hardware types whose deploy interface is fake. */
const FAKE_DEPLOY_DRIVERS = Object.values(HARDWARE_TYPES)
  .filter((spec) => spec.interfaces.deploy === 'fake')
  .map((spec) => spec.name);

const leaseFree = or(isNull(nodes.leaseOwner), lt(nodes.leaseExpiresAt, sql`now()`));

/**
 * Periodic work of every conductor of a site; leases make it safe to run on all of them at once:
 * - nodes left in an in-progress state by a dead conductor are resumed from their persisted step
 *   (or failed, for states whose step cannot be resumed, as Ironic does);
 * - nodes whose wait deadline passed go to their failed state with a last_error saying so;
 * - this conductor's liveness row is refreshed.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

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
  }

  async sweep(): Promise<void> {
    await this.heartbeat();
    await Promise.all([this.resumeOrphans(), this.expireDeadlines()]);
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
            // A fake deploy passes wait call-back inside one step: there, a free lease means
            // its conductor died mid-step, and no agent will ever call back.
            and(
              eq(nodes.provisionState, 'wait call-back'),
              inArray(nodes.driver, FAKE_DEPLOY_DRIVERS),
            ),
          ),
          leaseFree,
        ),
      )
      .limit(200);
    await Promise.all(candidates.map(({ uuid }) => this.resume(uuid)));
  }

  private async resume(uuid: string): Promise<void> {
    await this.ctx.leases
      .withNodeLease(
        uuid,
        'resume',
        async (leased) => {
          const state = leased.node.provisionState;
          const runner =
            state === 'wait call-back' && deploysFake(leased.node) ? fakeDeploy : OPERATIONS[state];
          if (runner) {
            this.ctx.logger.info(
              { node: uuid, state },
              'resuming a node left by another conductor',
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
    await Promise.all(
      late.map(({ uuid }) =>
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
      ),
    );
  }
}
