import { eq } from 'drizzle-orm';
import { allocations } from '@ingot/store';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode } from '../transition-node.js';
import { tearDownRamdisk } from './ramdisk.js';
import { runCleaning } from './clean.js';
import { disableSecureBoot } from './secure-boot.js';

/**
 * `deleting` (undeploy): power off, secure boot off (while instance_info still says it was asked
 * for), forget the instance and the allocation that reserved the node (Ironic deletes it on
 * tear-down), then clean before the node is available again.
 */
export async function runDeleting(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  await tearDownRamdisk(ctx, leased, { powerOff: true, requestId });
  await disableSecureBoot(ctx, leased, requestId);
  if (leased.node.allocationUuid)
    await ctx.db.delete(allocations).where(eq(allocations.nodeUuid, leased.node.uuid));
  await transitionNode(ctx, leased, 'clean', {
    note: 'instance torn down; cleaning',
    requestId,
    set: { instanceInfo: {}, allocationUuid: null },
  });
  await runCleaning(ctx, leased, requestId);
}
