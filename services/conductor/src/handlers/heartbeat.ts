import type { HeartbeatCommand } from '@ingot/contracts';
import { RetryLater } from '@ingot/bus';
import type { ConductorContext } from '../context.js';
import { advanceWithAgent } from '../operations/agent-wait.js';

/**
 * An agent heartbeat: in `clean wait` or `wait call-back` it moves the operation one step; in
 * other states it only proved the agent alive (the API already recorded it). A heartbeat that
 * finds the node busy is dropped: the agent sends another soon.
 */
export async function handleHeartbeat(ctx: ConductorContext, cmd: HeartbeatCommand): Promise<void> {
  try {
    await ctx.leases.withNodeLease(
      cmd.node_uuid,
      'heartbeat',
      async (leased) => {
        // A heartbeat queued by an agent that has since been rebooted speaks for nobody.
        if (cmd.payload.agent_url !== leased.node.agentUrl) return;
        await advanceWithAgent(ctx, leased, cmd.request_id);
      },
      1_000,
    );
  } catch (error) {
    if (!(error instanceof RetryLater)) throw error;
  }
}
