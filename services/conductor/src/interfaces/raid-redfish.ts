import {
  targetRaidConfigProblem,
  type CreatedLogicalDiskReport,
  type RaidVolumeReport,
  type TargetLogicalDisk,
  type TargetRaidConfig,
} from '@ingot/contracts';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { StepError } from '../operations/fail.js';
import { updateNode } from '../transition-node.js';
import type { StepsInterface, StepState } from './types.js';

/** One entry of a node's raid_config, as Ironic's redfish update_raid_config writes it. */
interface CurrentLogicalDisk {
  id: string;
  name: string;
  controller: string;
  size_gb: number;
  raid_level: string | null;
  is_root_volume?: boolean;
  /** Where the deploy finds the volume (Ironic copies it into properties.root_device). */
  root_device_hint?: Record<string, unknown>;
}

const lastSegment = (path: string) => path.split('/').filter(Boolean).pop() ?? path;
const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

/** create_configuration's boolean arguments, as Ironic takes them (true/false or their strings). */
export function flag(args: Record<string, unknown>, name: string, byDefault: boolean): boolean {
  const value = args[name];
  if (value === undefined || value === null) return byDefault;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value))
    return value.toLowerCase() === 'true';
  throw new StepError(
    `raid step create_configuration: '${name}' must be a boolean, not ${JSON.stringify(value)}`,
  );
}

/**
 * The logical disks to create: the node's target, checked again (it was checked when set), without
 * the root or the other volumes when asked (Ironic's filter_target_raid_config).
 */
/** The arguments every create_configuration step takes, as Ironic's RAID interfaces describe them. */
export const CREATE_CONFIGURATION_ARGSINFO = {
  create_root_volume: {
    description: 'This specifies whether to create the root volume. Defaults to `True`.',
    required: false,
  },
  create_nonroot_volumes: {
    description: 'This specifies whether to create the non-root volumes. Defaults to `True`.',
    required: false,
  },
} as const;

export function logicalDisksToCreate(
  leased: LeasedNode,
  args: Record<string, unknown>,
): TargetLogicalDisk[] {
  const { uuid, targetRaidConfig } = leased.node;
  if (!targetRaidConfig || Object.keys(targetRaidConfig).length === 0) {
    throw new StepError(
      `Node ${uuid} has no target RAID configuration: set one with PUT /v1/nodes/${uuid}/states/raid (baremetal node set --target-raid-config) before create_configuration`,
    );
  }
  const problem = targetRaidConfigProblem(targetRaidConfig);
  if (problem) throw new StepError(`Node ${uuid}'s target RAID configuration: ${problem}`);
  const createRoot = flag(args, 'create_root_volume', true);
  const createOthers = flag(args, 'create_nonroot_volumes', true);
  const skipped: string[] = [];
  let disks = (targetRaidConfig as TargetRaidConfig).logical_disks;
  if (!createRoot) {
    disks = disks.filter((d) => !d.is_root_volume);
    skipped.push('skipping root volume');
  }
  if (!createOthers) {
    disks = disks.filter((d) => d.is_root_volume);
    skipped.push('skipping non-root volumes');
  }
  if (disks.length === 0) {
    throw new StepError(
      `Node ${uuid} has empty target RAID configuration after ${skipped.join(' and ')}.`,
    );
  }
  return disks;
}

/** The volume the BMC made for a created logical disk: by its address, else by its drives. */
function volumeOf(
  created: CreatedLogicalDiskReport,
  volumes: readonly RaidVolumeReport[],
): RaidVolumeReport | undefined {
  if (created.volume) return volumes.find((v) => v.path === created.volume);
  return volumes.find(
    (v) =>
      v.controller === created.controller &&
      sameSet(v.physical_disks, created.physical_disks) &&
      (v.raid_level === null || v.raid_level === created.raid_level),
  );
}

/**
 * The root device hint of a volume: its WWN, which the OS reads from the controller's virtual disk
 * (an NAA DurableName, 0x-prefixed as lsblk shows it); none when the BMC gives no NAA name.
 */
function rootDeviceHintOf(volume: RaidVolumeReport): Record<string, unknown> | undefined {
  const naa = volume.identifiers.find((i) => /^[0-9a-f]{16}([0-9a-f]{16})?$/i.test(i));
  return naa ? { wwn: `0x${naa.toLowerCase()}` } : undefined;
}

/** Ironic's utils.get_updated_capabilities: "k1:v1,k2:v2" with `updates` set. */
export function updatedCapabilities(current: unknown, updates: Record<string, string>): string {
  const pairs = new Map<string, string>();
  if (typeof current === 'string' && current.trim()) {
    for (const pair of current.split(',')) {
      const [key, ...value] = pair.split(':');
      if (key?.trim()) pairs.set(key.trim(), value.join(':'));
    }
  } else if (typeof current === 'object' && current !== null) {
    for (const [k, v] of Object.entries(current)) pairs.set(k, String(v));
  }
  for (const [k, v] of Object.entries(updates)) pairs.set(k, v);
  return [...pairs].map(([k, v]) => `${k}:${v}`).join(',');
}

/** What Python's str(datetime.utcnow()) gives, as Ironic's last_updated holds it. */
export const pythonUtcNow = () => new Date().toISOString().replace('T', ' ').replace('Z', '000');

/** The history event type of the operation the step runs in (see operations/steps.ts). */
export function eventTypeOf(leased: LeasedNode): string {
  const operation = (leased.node.driverInternalInfo as { steps?: { operation?: unknown } }).steps
    ?.operation;
  return operation === 'deploy' ? 'deploy' : operation === 'service' ? 'service' : 'cleaning';
}

/**
 * Ironic's update_raid_info after its redfish update_raid_config: raid_config lists every volume of
 * the BMC; its root volume's size becomes local_gb, its hint properties.root_device (so the deploy
 * writes onto it) and its level the raid_level capability.
 */
async function recordRaidConfig(
  ctx: ConductorContext,
  leased: LeasedNode,
  volumes: readonly RaidVolumeReport[],
  root: RaidVolumeReport | undefined,
  requestId?: string,
): Promise<CurrentLogicalDisk[]> {
  const previous = currentLogicalDisks(leased);
  const keptRoot =
    root ?? volumes.find((v) => previous.some((p) => p.id === v.id && p.is_root_volume));
  const logicalDisks: CurrentLogicalDisk[] = volumes.map((v) => {
    const hint = v === keptRoot ? rootDeviceHintOf(v) : undefined;
    return {
      id: v.id,
      name: v.name,
      controller: lastSegment(v.controller),
      size_gb: v.size_gb,
      raid_level: v.raid_level,
      ...(v === keptRoot ? { is_root_volume: true } : {}),
      ...(hint ? { root_device_hint: hint } : {}),
    };
  });
  const properties = { ...leased.node.properties };
  const rootDisk = logicalDisks.find((d) => d.is_root_volume);
  if (rootDisk) {
    properties.local_gb = rootDisk.size_gb;
    if (rootDisk.root_device_hint) properties.root_device = rootDisk.root_device_hint;
    if (rootDisk.raid_level) {
      properties.capabilities = updatedCapabilities(properties.capabilities, {
        raid_level: rootDisk.raid_level,
      });
    }
  } else {
    // A hint naming a volume that is gone would send the next deploy nowhere.
    const gone = previous.find((p) => p.is_root_volume && !volumes.some((v) => v.id === p.id));
    if (
      gone?.root_device_hint &&
      JSON.stringify(properties.root_device) === JSON.stringify(gone.root_device_hint)
    )
      delete properties.root_device;
  }
  const described = logicalDisks.map(
    (d) =>
      `RAID ${d.raid_level ?? '?'} ${d.name} (${d.id}, ${d.size_gb} GiB)${d.is_root_volume ? ` is the root volume${d.root_device_hint ? ` (root_device ${JSON.stringify(d.root_device_hint)})` : ''}` : ''}`,
  );
  await updateNode(
    ctx,
    leased,
    { raidConfig: { logical_disks: logicalDisks, last_updated: pythonUtcNow() }, properties },
    {
      eventType: eventTypeOf(leased),
      event: `raid_config: ${described.length > 0 ? described.join('; ') : 'no logical disks'}`,
    },
    requestId,
  );
  return logicalDisks;
}

function currentLogicalDisks(leased: LeasedNode): CurrentLogicalDisk[] {
  const disks = (leased.node.raidConfig as { logical_disks?: unknown } | null)?.logical_disks;
  return Array.isArray(disks) ? (disks as CurrentLogicalDisk[]) : [];
}

async function volumesOf(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<RaidVolumeReport[]> {
  const { raid } = await ctx.bmc.call(leased.node, 'bmc.raid_read', {}, requestId);
  return raid?.volumes ?? [];
}

/** The volumes made for what create_configuration created; a StepError names any the BMC lacks. */
async function recordCreated(
  ctx: ConductorContext,
  leased: LeasedNode,
  created: CreatedLogicalDiskReport[],
  afterReboot: boolean,
  requestId?: string,
): Promise<void> {
  const volumes = await volumesOf(ctx, leased, requestId);
  const missing = created.filter((c) => !volumeOf(c, volumes));
  if (missing.length > 0) {
    throw new StepError(
      `the BMC did not create ${missing.map((c) => `the RAID ${c.raid_level} volume over ${c.physical_disks.join(', ')}`).join(', ')}${afterReboot ? ' after the reboot' : ''} (its volumes: ${volumes.map((v) => `${v.name} ${v.raid_type ?? ''} over ${v.physical_disks.join(', ')}`).join('; ') || 'none'})`,
    );
  }
  const rootCreated = created.find((c) => c.is_root_volume);
  await recordRaidConfig(
    ctx,
    leased,
    volumes,
    rootCreated ? volumeOf(rootCreated, volumes) : undefined,
    requestId,
  );
}

const createdOf = (state: StepState): CreatedLogicalDiskReport[] =>
  Array.isArray(state.created) ? (state.created as CreatedLogicalDiskReport[]) : [];

/**
 * redfish (Ironic's redfish raid interface): logical disks of the node's target_raid_config become
 * volumes of the BMC's RAID controllers, at once or at the next boot (then the ramdisk is booted
 * again and the volumes looked for); raid_config then lists what the BMC has, and the root
 * volume becomes the node's root device.
 */
export const redfishRaid: StepsInterface = {
  name: 'redfish',
  steps: [
    {
      step: 'delete_configuration',
      priority: 0,
      argsinfo: {},
      async run(ctx, leased, _args, requestId) {
        await ctx.bmc.call(leased.node, 'bmc.raid_delete', {}, requestId);
        const left = await volumesOf(ctx, leased, requestId);
        await recordRaidConfig(ctx, leased, left, undefined, requestId);
        return { kind: 'done' };
      },
    },
    {
      step: 'create_configuration',
      priority: 0,
      argsinfo: {
        ...CREATE_CONFIGURATION_ARGSINFO,
        delete_existing: {
          description:
            'Setting this to `True` indicates to delete existing RAID configuration prior to creating the new configuration. Default value is `False`.',
          required: false,
        },
      },
      async run(ctx, leased, args, requestId) {
        const disks = logicalDisksToCreate(leased, args);
        if (flag(args, 'delete_existing', false))
          await ctx.bmc.call(leased.node, 'bmc.raid_delete', {}, requestId);
        const reply = await ctx.bmc.call(
          leased.node,
          'bmc.raid_create',
          { logical_disks: disks },
          requestId,
        );
        const created = reply.raid_created ?? [];
        if (reply.reboot_required) return { kind: 'reboot', state: { created } };
        await recordCreated(ctx, leased, created, false, requestId);
        return { kind: 'done' };
      },
      async resume(ctx, leased, _args, resumed, requestId) {
        await recordCreated(ctx, leased, createdOf(resumed.state), true, requestId);
        return { kind: 'done' };
      },
    },
  ],
};
