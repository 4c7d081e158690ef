// The raid clean steps (IPA's GenericHardwareManager create_configuration/delete_configuration):
// software RAID with mdadm for the `controller: "software"` logical disks of the node's target.
import {
  createSoftwareRaid,
  deleteSoftwareRaid,
  type RaidConfig,
  type SoftwareLogicalDisk,
} from '../disks/software-raid.js';
import { targetBootMode } from '../image/raid-boot.js';
import { asNodeInfo } from '../node-info.js';
import type { CommandContext, Params } from './definition.js';

/**
 * Builds the software logical disks of node.target_raid_config and answers the configuration, as
 * IPA does (the conductor records it as node.raid_config); {} when it has no software disk.
 */
export async function createConfiguration(
  ctx: CommandContext,
  node: Params | undefined,
): Promise<RaidConfig | Record<string, never>> {
  const target = node?.target_raid_config as { logical_disks?: unknown } | undefined;
  const logical = Array.isArray(target?.logical_disks)
    ? (target.logical_disks as SoftwareLogicalDisk[])
    : [];
  if (!logical.some((d) => d.controller === 'software')) {
    ctx.log.info('no software RAID in the target RAID configuration');
    return {};
  }
  const config: RaidConfig = { logical_disks: logical };
  const bootMode = targetBootMode(
    asNodeInfo(node) ?? ctx.node(),
    ctx.inventory.boot.current_boot_mode,
  );
  const created = await createSoftwareRaid(ctx.disks, config, bootMode);
  await ctx.rescanDisks();
  for (const array of created) {
    ctx.log.info('created software RAID device', {
      device: array.device,
      raid_level: array.logical.raid_level,
      members: array.members,
    });
  }
  return config;
}

/** Removes every software RAID device, its superblocks and its holder partitions. */
export async function deleteConfiguration(ctx: CommandContext): Promise<Record<string, unknown>> {
  const deleted = await deleteSoftwareRaid(ctx.disks, (message) => ctx.log.warn(message));
  await ctx.rescanDisks();
  ctx.log.info('deleted software RAID', { devices: deleted });
  return { deleted_raid_devices: deleted };
}
