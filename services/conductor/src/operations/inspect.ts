import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode } from '../transition-node.js';
import { inspectInterfaceOf } from '../interfaces/inspect.js';
import { failOperation } from './fail.js';
import { tearDownRamdisk } from './ramdisk.js';

/** `inspecting`: the node's inspect interface learns the hardware (agent, BMC, or nothing). */
export async function runInspecting(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  await inspectInterfaceOf(leased.node).inspect(ctx, leased, requestId);
}

/** The inspector processed (or refused) the inventory: power off and finish either way. */
export async function finishInspection(
  ctx: ConductorContext,
  leased: LeasedNode,
  result: { ok: boolean; message?: string },
  requestId?: string,
): Promise<void> {
  if (!result.ok) {
    await failOperation(ctx, leased, result.message ?? 'inspection failed', { requestId });
    return;
  }
  await tearDownRamdisk(ctx, leased, { powerOff: true, requestId });
  await transitionNode(ctx, leased, 'done', {
    note: 'inspection finished',
    lastError: null,
    requestId,
  });
}
