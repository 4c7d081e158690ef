import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { PowerState, ProvisionState } from '@ingot/contracts';
import { maintenanceChanged, RetryLater } from '@ingot/bus';
import { FAILED_STATES, STABLE_STATES } from '@ingot/lifecycle';
import { nodes, type NodeRow } from '@ingot/store';
import { BmcCallError } from './bmc-caller.js';
import type { ConductorContext } from './context.js';
import type { LeasedNode } from './node-lease.js';
import { powerChange, writeNode } from './node-writer.js';

/** Ironic's fault for a node whose BMC stopped answering the power sync. */
export const POWER_FAILURE = 'power failure';
/** Consecutive failed reads, in driver_internal_info (Ironic's power_state_sync_max_retries). */
const FAILURES_KEY = 'power_sync_failures';

/**
 * States whose power the sync watches: the resting ones. In every other state an operation owns
 * the power (it reboots into the agent, powers off after cleaning), and `enroll` has no checked BMC.
 */
export const SYNCED_STATES: ProvisionState[] = [...STABLE_STATES, ...FAILED_STATES].filter(
  (s) => s !== 'enroll',
);

/**
 * Ironic's periodic sync_power_state: every interval, each resting node of this site whose lease is
 * free gets its power read from the BMC. A state changed outside Ingot (someone pressed the button,
 * a PDU cycled) is recorded with a history entry and an event, or forced back when configured, as
 * Ironic's force_power_state_during_sync does. A BMC that fails `maxRetries` reads in a row puts
 * the node in maintenance with fault 'power failure'; the sync keeps polling such nodes and takes
 * them out of maintenance when the BMC answers again.
 */
export class PowerSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly ctx: ConductorContext) {}

  start(): void {
    const { intervalMs } = this.ctx.config.powerSync;
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.syncAll()
        .catch((error) =>
          this.ctx.logger.warn({ err: String(error) }, 'power sync failed; will retry'),
        )
        .finally(() => (this.running = undefined));
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async syncAll(): Promise<void> {
    // Whole rows: each node's power is read with what this query returned, without a lease.
    const due = await this.ctx.db
      .select()
      .from(nodes)
      .where(
        and(
          eq(nodes.conductorGroup, this.ctx.config.site),
          inArray(nodes.provisionState, SYNCED_STATES),
          or(eq(nodes.maintenance, false), eq(nodes.fault, POWER_FAILURE)),
          or(isNull(nodes.leaseOwner), lt(nodes.leaseExpiresAt, sql`now()`)),
        ),
      )
      .orderBy(nodes.updatedAt);
    // A few BMCs at a time (Ironic's sync_power_state_workers): a fleet is not polled in a burst.
    let next = 0;
    const worker = async () => {
      for (let node = due[next++]; node; node = due[next++]) await this.syncNode(node);
    };
    await Promise.all(Array.from({ length: this.ctx.config.powerSync.workers }, worker));
  }

  /**
   * Reads the node's power without its lease (Ironic's shared lock) and takes the lease only when
   * there is something to write: an idle fleet costs one BMC read per node and no database write.
   */
  async syncNode(node: NodeRow): Promise<void> {
    try {
      const reading = await this.readPower(node);
      if (reading.ok && unchanged(node, reading.power)) return;
      // Busy nodes are skipped, not waited for: whoever holds them is driving their power.
      await this.ctx.leases.withNodeLease(
        node.uuid,
        'power sync',
        (leased) => this.check(leased, reading),
        { waitMs: 0 },
      );
    } catch (error) {
      if (error instanceof RetryLater) return;
      this.ctx.logger.warn({ node: node.uuid, err: String(error) }, 'power sync of a node failed');
    }
  }

  private async readPower(node: NodeRow): Promise<PowerReading> {
    try {
      const reply = await this.ctx.bmc.call(node, 'bmc.get_power', {}, undefined);
      return { ok: true, power: reply.power_state ?? null };
    } catch (error) {
      if (!(error instanceof BmcCallError)) throw error;
      return { ok: false, error };
    }
  }

  /** Under the lease, with the node as it is now; `unleased` is what the read without it found. */
  private async check(leased: LeasedNode, unleased: PowerReading): Promise<void> {
    const node = leased.node;
    const inPowerFailure = node.maintenance && node.fault === POWER_FAILURE;
    if (!SYNCED_STATES.includes(node.provisionState)) return;
    if (node.maintenance && !inPowerFailure) return;
    // A failed read counts as it is. A power state is read again: an operation may have changed
    // it between the first read and the lease, and only a read under the lease may be recorded.
    const reading = unleased.ok ? await this.readPower(node) : unleased;
    if (!reading.ok) return this.readFailed(leased, reading.error);
    const actual = reading.power;
    const internal = withoutFailures(node);
    if (inPowerFailure) {
      await writeNode(this.ctx.db, leased, undefined, {
        set: {
          maintenance: false,
          maintenanceReason: null,
          fault: null,
          powerState: actual,
          driverInternalInfo: internal,
        },
        outbox: [
          maintenanceChanged(this.ctx.bus.subjects, node, {
            maintenance: false,
            reason: null,
            fault: null,
          }),
        ],
        history: [
          {
            eventType: 'power',
            severity: 'INFO',
            event: `the BMC answers again (power '${actual}'): out of maintenance, fault '${POWER_FAILURE}' cleared`,
            fromState: node.powerState,
            toState: actual,
          },
        ],
      });
      return;
    }
    const recorded = node.powerState;
    if (actual === recorded || actual === null) {
      if (failuresOf(node) > 0) await this.write(leased, { driverInternalInfo: internal });
      return;
    }
    if (recorded === null) {
      await this.write(leased, { powerState: actual, driverInternalInfo: internal });
      return;
    }
    if (this.ctx.config.powerSync.force && (recorded === 'power on' || recorded === 'power off')) {
      try {
        await this.ctx.bmc.call(node, 'bmc.set_power', { target: recorded }, undefined);
      } catch (error) {
        if (!(error instanceof BmcCallError)) throw error;
        return this.readFailed(leased, error);
      }
      await writeNode(this.ctx.db, leased, undefined, {
        set: { driverInternalInfo: internal },
        history: [
          {
            eventType: 'power',
            severity: 'WARNING',
            event: `power state was '${actual}' on the BMC, not '${recorded}': forced back`,
            fromState: actual,
            toState: recorded,
          },
        ],
      });
      return;
    }
    const change = powerChange(this.ctx.bus.subjects, node, {
      to: actual,
      lastError: node.lastError,
      event: `power state changed outside Ingot: '${recorded}' → '${actual}'`,
    });
    change.history = change.history?.map((h) => ({ ...h, severity: 'WARNING' }));
    change.set.driverInternalInfo = internal;
    await writeNode(this.ctx.db, leased, undefined, change);
  }

  private async readFailed(leased: LeasedNode, error: BmcCallError): Promise<void> {
    const node = leased.node;
    const failures = failuresOf(node) + 1;
    const internal = { ...(node.driverInternalInfo as Record<string, unknown>) };
    internal[FAILURES_KEY] = failures;
    const { maxRetries } = this.ctx.config.powerSync;
    if (node.maintenance || failures < maxRetries) {
      this.ctx.logger.warn(
        { node: node.uuid, failures, err: error.message },
        'power sync could not read the power state',
      );
      await this.write(leased, { driverInternalInfo: internal });
      return;
    }
    const reason = `During power sync the BMC failed ${failures} times in a row: ${error.message}`;
    this.ctx.logger.error({ node: node.uuid, err: error.message }, 'power failure: maintenance');
    await writeNode(this.ctx.db, leased, undefined, {
      set: {
        maintenance: true,
        maintenanceReason: reason,
        fault: POWER_FAILURE,
        powerState: null,
        driverInternalInfo: internal,
      },
      outbox: [
        maintenanceChanged(this.ctx.bus.subjects, node, {
          maintenance: true,
          reason,
          fault: POWER_FAILURE,
        }),
      ],
      history: [
        {
          eventType: 'power',
          severity: 'ERROR',
          event: `${reason}; node put in maintenance with fault '${POWER_FAILURE}'`,
          fromState: node.powerState,
          toState: null,
        },
      ],
    });
  }

  private async write(leased: LeasedNode, set: Partial<NodeRow>): Promise<void> {
    await writeNode(this.ctx.db, leased, undefined, { set });
  }
}

/** One read of a node's power through the power worker. */
type PowerReading = { ok: true; power: PowerState | null } | { ok: false; error: BmcCallError };

/** Nothing to write: the BMC agrees with the record (or says nothing), and no failure is pending. */
const unchanged = (node: NodeRow, power: PowerState | null): boolean =>
  !node.maintenance && failuresOf(node) === 0 && (power === null || power === node.powerState);

const failuresOf = (node: NodeRow): number =>
  Number((node.driverInternalInfo as Record<string, unknown>)[FAILURES_KEY] ?? 0);

function withoutFailures(node: NodeRow): Record<string, unknown> {
  const { [FAILURES_KEY]: _failures, ...rest } = node.driverInternalInfo as Record<string, unknown>;
  return rest;
}
