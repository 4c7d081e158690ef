import { eq } from 'drizzle-orm';
import type { InventoryDisk } from '@ingot/contracts';
import { chooseRootDevice } from '@ingot/inventory';
import { nodeInventory, type NodeRow } from '@ingot/store';
import type { ConductorContext } from '../context.js';
import { StepError } from './fail.js';

/**
 * The disk to write the image to: the node's root device hints (instance_info or properties,
 * Ironic's semantics) over its inspected disks. Without an inventory the agent chooses (the
 * smallest disk of 4 GiB or more, as Ironic does), guided by a `name` hint when there is one.
 */
export async function rootDeviceFor(
  ctx: ConductorContext,
  node: NodeRow,
  hints: Record<string, unknown> | undefined,
): Promise<string | undefined> {
  // A software RAID root exists only once the agent assembled it: the agent chooses it (IPA
  // prefers the RAID root volume), with the hints it is sent; the inspected disks are its holders.
  if (isSoftwareRaid(node)) return typeof hints?.name === 'string' ? hints.name : undefined;
  const [row] = await ctx.db
    .select()
    .from(nodeInventory)
    .where(eq(nodeInventory.nodeUuid, node.uuid))
    .limit(1);
  const disks = (row?.inventory as { disks?: InventoryDisk[] } | undefined)?.disks;
  if (!disks) return typeof hints?.name === 'string' ? hints.name : undefined;
  const choice = chooseRootDevice(disks, hints);
  if (!choice.ok) throw new StepError(`Cannot deploy: ${choice.message}`);
  if (!choice.disk) throw new StepError('Cannot deploy: the node has no disk of 4 GiB or more');
  return choice.disk.name;
}

/** Ironic's deploy_utils.is_software_raid: a logical disk of the target is on controller software. */
function isSoftwareRaid(node: NodeRow): boolean {
  const disks = (node.targetRaidConfig as { logical_disks?: unknown } | null)?.logical_disks;
  return (
    Array.isArray(disks) &&
    disks.some((d) => (d as { controller?: unknown } | null)?.controller === 'software')
  );
}
