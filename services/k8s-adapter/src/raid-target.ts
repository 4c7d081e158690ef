import {
  isNoopInterface,
  nodeInterfaces,
  targetRaidConfigProblem,
  type TargetRaidConfig,
} from '@ingot/contracts';
import { rootDeviceOf, type RaidConfig } from '@ingot/metal3';
import { hardwareOf } from '@ingot/node-commands';
import type { NodeRow } from '@ingot/store';
import { canonical } from './host-status.js';

// A host's spec.raid as Ingot's target_raid_config, the raid_interface it needs and the clean steps
// that build it (baremetal-operator's raid.go and saveHostProvisioningSettings).

/** A clean or service step as Ironic's API takes it. */
export type CleanStep = Record<string, unknown> & {
  interface: string;
  step: string;
  args?: Record<string, unknown>;
};

const isEmpty = (raid: RaidConfig | undefined) =>
  !raid || (!raid.hardwareRAIDVolumes && !raid.softwareRAIDVolumes);

/**
 * What status.provisioning.raid should record for this spec: the spec, except that no spec (or an
 * empty one) keeps the hardware volumes already built and clears software ones.
 */
export function raidRecordOf(
  spec: RaidConfig | undefined,
  recorded: RaidConfig | undefined,
): RaidConfig | undefined {
  if (!isEmpty(spec)) return spec;
  if (!recorded) return spec;
  return {
    ...(recorded.hardwareRAIDVolumes?.length
      ? { hardwareRAIDVolumes: recorded.hardwareRAIDVolumes }
      : {}),
    softwareRAIDVolumes: [],
  };
}

/** Ironic's RAID interface of software RAID, the agent's mdadm (BMO's softwareRAIDInterface). */
export const SOFTWARE_RAID_INTERFACE = 'agent';

/**
 * The raid_interface the node needs for this spec.raid (BMO's CheckRAIDInterface): agent when
 * software volumes are asked for or were built (to delete them), else the node's own; a message
 * for hardware volumes on a node without a RAID controller interface.
 */
export function raidInterfaceFor(
  node: NodeRow,
  target: RaidConfig | undefined,
  actual: RaidConfig | undefined,
): { raidInterface: string } | { problem: string } {
  const raid = nodeInterfaces(hardwareOf(node.driver), node).raid;
  if (!target) return { raidInterface: raid };
  if (target.hardwareRAIDVolumes?.length && isNoopInterface(raid))
    return {
      problem: `RAID settings are defined, but the node's driver ${raid} does not support RAID`,
    };
  if (target.hardwareRAIDVolumes?.length && raid === SOFTWARE_RAID_INTERFACE)
    return {
      problem: `hardware RAID settings are defined, but the node's driver ${raid} only supports software RAID`,
    };
  if (target.softwareRAIDVolumes?.length || actual?.softwareRAIDVolumes?.length)
    return { raidInterface: SOFTWARE_RAID_INTERFACE };
  return { raidInterface: raid };
}

/**
 * target_raid_config for spec.raid's software volumes (BMO's buildTargetSoftwareRAIDCfg):
 * controller "software", the first volume RAID-1, physicalDisks as root device hints; a volume
 * without a size takes what is left ('MAX'), as the hardware volumes do here.
 */
function softwareLogicalDisks(
  volumes: NonNullable<RaidConfig['softwareRAIDVolumes']>,
): TargetRaidConfig['logical_disks'] {
  if (volumes[0] && volumes[0].level !== '1')
    throw new Error('the level in first volume of software raid must be RAID1');
  return volumes.map((volume) => {
    const hints = (volume.physicalDisks ?? []).map((disk) => rootDeviceOf(disk) ?? {});
    return {
      size_gb: volume.sizeGibibytes ?? ('MAX' as const),
      raid_level: volume.level,
      controller: 'software',
      is_root_volume: volume.rootVolume ?? false,
      ...(hints.length > 0 ? { physical_disks: hints } : {}),
    };
  });
}

/**
 * target_raid_config for spec.raid's hardware volumes (BuildTargetRAIDCfg): a volume without a
 * size takes what is left ('MAX'); with neither root device hints nor a root volume, the first
 * volume is the root. Throws a message for a spec Ironic would refuse.
 */
export function targetRaidConfigOf(
  raid: RaidConfig,
  hasRootDeviceHints: boolean,
): TargetRaidConfig {
  if (!raid.hardwareRAIDVolumes?.length && raid.softwareRAIDVolumes?.length) {
    const disks = softwareLogicalDisks(raid.softwareRAIDVolumes);
    // BMO's setTargetRAIDCfg: with neither hints nor a root volume, the first one is the root.
    if (!hasRootDeviceHints && !disks.some((d) => d.is_root_volume))
      disks[0] = { ...disks[0]!, is_root_volume: true };
    const config = { logical_disks: disks } as TargetRaidConfig;
    const problem = targetRaidConfigProblem(config);
    if (problem) throw new Error(problem);
    return config;
  }
  const volumes = raid.hardwareRAIDVolumes ?? [];
  const names = new Map<string, number>();
  const disks = volumes.map((volume, index): TargetRaidConfig['logical_disks'][number] => {
    if (volume.name) {
      const other = names.get(volume.name);
      if (other !== undefined)
        throw new Error(
          `the names(${volume.name}) of volume[${index}] and volume[${other}] are repeated`,
        );
      names.set(volume.name, index);
    }
    const physical = volume.physicalDisks ?? [];
    if (physical.length > 0 && !volume.controller)
      throw new Error("'controller' must be specified if 'physicalDisks' are used");
    if (volume.numberOfPhysicalDisks !== undefined && physical.length > 0) {
      if (volume.numberOfPhysicalDisks !== physical.length)
        throw new Error(
          `the numberOfPhysicalDisks[${volume.numberOfPhysicalDisks}] is not same as number of items in physicalDisks[${physical.length}]`,
        );
    }
    return {
      size_gb: volume.sizeGibibytes ?? ('MAX' as const),
      raid_level: volume.level,
      ...(volume.name ? { volume_name: volume.name } : {}),
      ...(volume.controller ? { controller: volume.controller } : {}),
      ...(physical.length > 0 ? { physical_disks: physical } : {}),
      ...(volume.rotational !== undefined
        ? { disk_type: volume.rotational ? ('hdd' as const) : ('ssd' as const) }
        : {}),
      ...(volume.numberOfPhysicalDisks !== undefined
        ? { number_of_physical_disks: volume.numberOfPhysicalDisks }
        : {}),
    };
  });
  if (disks[0] && !hasRootDeviceHints) disks[0] = { ...disks[0], is_root_volume: true };
  const config = { logical_disks: disks } as TargetRaidConfig;
  const problem = targetRaidConfigProblem(config);
  if (problem) throw new Error(problem);
  return config;
}

/**
 * The clean steps that make the server's hardware RAID the target (BuildRAIDCleanSteps): none
 * when it is what was built already or no hardware RAID is asked for; delete_configuration alone
 * for an empty list (remove every volume); else delete then create, so only the volumes asked for
 * exist afterwards.
 */
export function raidCleanSteps(
  target: RaidConfig | undefined,
  actual: RaidConfig | undefined,
): CleanStep[] {
  // Software RAID (BMO): delete, erase the metadata the arrays leave, then create.
  if (target?.softwareRAIDVolumes) {
    const wanted = target.softwareRAIDVolumes;
    const built = actual?.softwareRAIDVolumes ?? [];
    if (canonical(wanted) === canonical(actual?.softwareRAIDVolumes)) return [];
    if (wanted.length === 0 && built.length === 0) return [];
    const steps: CleanStep[] = [
      { interface: 'raid', step: 'delete_configuration' },
      { interface: 'deploy', step: 'erase_devices_metadata' },
    ];
    if (wanted.length > 0) steps.push({ interface: 'raid', step: 'create_configuration' });
    return steps;
  }
  if (!target?.hardwareRAIDVolumes) return [];
  if (canonical(target.hardwareRAIDVolumes) === canonical(actual?.hardwareRAIDVolumes)) return [];
  const steps: CleanStep[] = [{ interface: 'raid', step: 'delete_configuration' }];
  if (target.hardwareRAIDVolumes.length > 0)
    steps.push({ interface: 'raid', step: 'create_configuration' });
  return steps;
}
