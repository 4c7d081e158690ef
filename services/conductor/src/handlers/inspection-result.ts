import type { InspectionResultCommand } from '@ingot/contracts';
import type { ConductorContext } from '../context.js';
import { finishInspection } from '../operations/inspect.js';
import { failOperation, isOperationError } from '../operations/fail.js';

/** The inspector stored (or refused) a node's inventory: the inspection ends. */
export async function handleInspectionResult(
  ctx: ConductorContext,
  cmd: InspectionResultCommand,
): Promise<void> {
  await ctx.leases.withNodeLease(cmd.node_uuid, 'inspection result', async (leased) => {
    const state = leased.node.provisionState;
    if (state !== 'inspect wait' && state !== 'inspecting') {
      ctx.logger.warn(
        { node: cmd.node_uuid, state },
        'inspection result for a node no longer inspecting; ignored',
      );
      return;
    }
    try {
      await finishInspection(ctx, leased, cmd.payload, cmd.request_id);
    } catch (error) {
      if (!isOperationError(error)) throw error;
      await failOperation(
        ctx,
        leased,
        `Inspection finished but the node could not be powered off: ${error.message}`,
        {
          requestId: cmd.request_id,
          tearDown: false,
        },
      );
    }
  });
}
