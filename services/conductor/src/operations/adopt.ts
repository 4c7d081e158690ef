import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode } from '../transition-node.js';
import { StepError } from './fail.js';

/**
 * `adopting`: take over a server that already runs its OS (Metal3's externallyProvisioned): nothing
 * is written; instance_info must say what runs there, and the BMC must answer.
 */
export async function runAdopting(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const source = leased.node.instanceInfo.image_source;
  if (typeof source !== 'string' || source.length === 0) {
    throw new StepError(
      'Cannot adopt: instance_info.image_source must name the image the server runs',
    );
  }
  const power = await ctx.bmc.call(leased.node, 'bmc.get_power', {}, requestId);
  await transitionNode(ctx, leased, 'done', {
    note: 'adopted',
    lastError: null,
    requestId,
    set: { powerState: power.power_state ?? leased.node.powerState },
  });
}
