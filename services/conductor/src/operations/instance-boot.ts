import type { PowerState } from '@ingot/contracts';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { tearDownRamdisk } from './ramdisk.js';
import { configureSecureBoot, instanceBootDevice } from './secure-boot.js';

/**
 * The instance boots after a ramdisk (deploy, servicing, unrescue): power off, the ramdisk torn
 * down (ISO ejected or iPXE script cleared, agent token wiped), the disk as boot device, secure
 * boot as deployed, power on. Answers the power state the BMC reports, which the caller writes
 * with its transition. `keepSteps` keeps the step record until that transition (see
 * tearDownRamdisk).
 */
export async function bootInstance(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
  opts: { keepSteps?: boolean } = {},
): Promise<PowerState> {
  await tearDownRamdisk(ctx, leased, { powerOff: true, requestId, keepSteps: opts.keepSteps });
  await ctx.bmc.call(
    leased.node,
    'bmc.set_boot_device',
    instanceBootDevice(leased.node),
    requestId,
  );
  await configureSecureBoot(ctx, leased, requestId);
  const on = await ctx.bmc.call(leased.node, 'bmc.set_power', { target: 'power on' }, requestId);
  return on.power_state ?? 'power on';
}
