import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode } from '../transition-node.js';
import { inspectsFake, inspectsOutOfBand } from '../driver-composition.js';
import { inspectOutOfBand } from './oob-inspect.js';
import { failOperation } from './fail.js';
import { fakeInspect } from './fake.js';
import { bootRamdisk, tearDownRamdisk } from './ramdisk.js';

/**
 * `inspecting`: boot the agent with the inspection callback, then wait for its inventory. A fake
 * inspect interface finishes at once; a redfish one reads the hardware from the BMC.
 */
export async function runInspecting(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  if (inspectsFake(leased.node)) return fakeInspect(ctx, leased, requestId);
  if (inspectsOutOfBand(leased.node)) return inspectOutOfBand(ctx, leased, requestId);
  await bootRamdisk(ctx, leased, 'inspect', requestId);
  await transitionNode(ctx, leased, 'wait', {
    note: 'waiting for the agent to report the inventory',
    deadlineInMs: ctx.config.inspectWaitTimeoutMs,
    requestId,
  });
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
