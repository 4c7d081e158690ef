import type { DeliveryContext } from '@ingot/bus';
import type { HeartbeatCommand } from '@ingot/contracts';
import { RetryLater } from '@ingot/bus';
import type { ConductorContext } from '../context.js';
import { advanceWithAgent } from '../operations/agent-wait.js';

/** Deliveries of a heartbeat that keeps finding its node busy, before it is dropped. */
const BUSY_DELIVERIES = 5;

/**
 * An agent heartbeat: in `clean wait` or `wait call-back` it moves the operation one step; in
 * other states it only proved the agent alive (the API already recorded it). A heartbeat that
 * finds the node busy (a power-on, another heartbeat's step) is tried again a few times, as
 * ironic-python-agent retries a heartbeat Ironic refused with 409: dropped at once, the node would
 * wait a whole heartbeat interval for the next one. After those it is dropped, never given up on
 * with a last_error: the agent sends another.
 */
export async function handleHeartbeat(
  ctx: ConductorContext,
  cmd: HeartbeatCommand,
  delivery: Pick<DeliveryContext, 'deliveryCount' | 'maxDeliver'>,
): Promise<void> {
  try {
    await ctx.leases.withNodeLease(
      cmd.node_uuid,
      'heartbeat',
      async (leased) => {
        // A heartbeat queued by an agent that has since been rebooted speaks for nobody.
        if (cmd.payload.agent_url !== leased.node.agentUrl) return;
        await advanceWithAgent(ctx, leased, cmd.request_id);
      },
      { waitMs: 1_000 },
    );
  } catch (error) {
    if (!(error instanceof RetryLater)) throw error;
    if (delivery.deliveryCount < Math.min(BUSY_DELIVERIES, delivery.maxDeliver - 1)) throw error;
  }
}
