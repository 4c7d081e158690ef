import type { HeartbeatCommand } from '@ingot/contracts';
import { RetryLater } from '@ingot/bus';
import { AgentError } from '../agent-client.js';
import type { ConductorContext } from '../context.js';
import { continueCleaning } from '../operations/clean.js';
import { continueDeploy } from '../operations/deploy.js';
import { failOperation, isOperationError } from '../operations/fail.js';

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
        const state = leased.node.provisionState;
        const advance =
          state === 'clean wait'
            ? continueCleaning
            : state === 'wait call-back'
              ? continueDeploy
              : undefined;
        if (!advance) return;
        try {
          await advance(ctx, leased, cmd.request_id);
        } catch (error) {
          if (error instanceof AgentError && error.retryable) {
            ctx.logger.warn(
              { node: cmd.node_uuid, err: error.message },
              'agent unreachable; will retry on its next heartbeat',
            );
            return;
          }
          if (!isOperationError(error)) throw error;
          await failOperation(ctx, leased, error.message, { requestId: cmd.request_id });
        }
      },
      1_000,
    );
  } catch (error) {
    if (!(error instanceof RetryLater)) throw error;
  }
}
