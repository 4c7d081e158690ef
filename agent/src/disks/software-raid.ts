// Software RAID with mdadm, as ironic-python-agent's GenericHardwareManager builds it for
// `controller: "software"` logical disks (hardware.py create_configuration/delete_configuration,
// raid_utils.py): one partition per logical disk on each holder disk, behind the space the boot
// partitions need, and an md device (metadata 1.2) over the partitions.
import { access, readdir } from 'node:fs/promises';
import { parseRootDeviceHints, matchRootDevice } from '@ingot/inventory/root-device';
import { runTool, ToolError } from '../tools.js';
import type { TargetDisk } from './devices.js';
import { readPartitionTable } from './partition-table.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** IPA's ESP_SIZE_MIB: room left on each holder disk for the EFI system partition. */
export const ESP_SIZE_MIB = 550;
/** GPT type of a Linux RAID member partition. */
const LINUX_RAID_GPT = 'A19D880F-05FC-4D3B-A006-743F0F84911E';
/** mdadm's levels for Ironic's: '1+0' is mdadm's '10' (IPA's create_raid_device). */
const MDADM_LEVELS: Record<string, string> = { '0': '0', '1': '1', '1+0': '10' };

export interface SoftwareLogicalDisk {
  raid_level: string;
  size_gb: number | 'MAX';
  controller?: string;
  volume_name?: string;
  is_root_volume?: boolean;
  physical_disks?: Record<string, unknown>[];
  [key: string]: unknown;
}

export interface RaidConfig {
  logical_disks: SoftwareLogicalDisk[];
}

export type BootMode = 'uefi' | 'bios';

export class SoftwareRaidError extends Error {
  override name = 'SoftwareRaidError';
}

/** "/dev/vda" + 1 → "/dev/vda1"; "/dev/nvme0n1" + 1 → "/dev/nvme0n1p1". */
export const partitionPath = (disk: string, n: number): string =>
  /\d$/.test(disk) ? `${disk}p${n}` : `${disk}${n}`;

/** An md device of the disk list (lsblk TYPE raid*): it has holder disks. */
export const isMdDevice = (disk: TargetDisk): boolean => disk.info.holder_disks !== undefined;

/** The disks software RAID may be built on: real block devices that are no md device. */
const physicalDisks = (disks: readonly TargetDisk[]) => disks.filter((d) => !isMdDevice(d));

/**
 * Assembles the arrays the disks carry (IPA's _md_scan_and_assemble at start-up): a deploy after
 * the cleaning that built them finds its md root device. mdadm exits 1 or 2 when there is nothing
 * to assemble, which is no failure.
 */
export async function assembleArrays(): Promise<string> {
  try {
    const { stdout, stderr } = await runTool('mdadm', ['--assemble', '--scan']);
    return `${stdout}${stderr}`.trim();
  } catch (err) {
    if (err instanceof ToolError && err.exitCode !== null) return err.stderr.trim();
    throw err;
  }
}

/**
 * IPA's validate_configuration: one or two logical disks, all software, the first RAID-1, one
 * root at most; the levels mdadm builds here are 0, 1 and 1+0.
 */
export function softwareRaidProblems(config: RaidConfig): string[] {
  const disks = config.logical_disks;
  const problems: string[] = [];
  if (disks.length !== 1 && disks.length !== 2)
    problems.push('Software RAID configuration requires one or two logical disks');
  if (disks.some((d) => d.controller !== 'software'))
    problems.push(
      "Software RAID configuration requires all logical disks to have 'controller'='software'",
    );
  const names = disks.map((d) => d.volume_name).filter((n): n is string => n !== undefined);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) problems.push(`Duplicate software RAID device name ${duplicate} detected`);
  if (disks.filter((d) => d.is_root_volume).length > 1)
    problems.push(
      'Software RAID configuration allows only one logical disk to be marked as is_root_volume',
    );
  for (const d of disks) {
    if (d.physical_disks !== undefined) {
      if (!Array.isArray(d.physical_disks) || d.physical_disks.length < 2)
        problems.push(
          'The physical_disks parameter for software RAID must be a list with at least 2 items, each specifying a disk in the device hints format',
        );
      else if (d.physical_disks.some((p) => typeof p !== 'object' || p === null))
        problems.push(
          'The physical_disks parameter for software RAID must be a list of device hints (dictionaries)',
        );
    }
    if (!(d.raid_level in MDADM_LEVELS))
      problems.push(`Software RAID configuration does not support RAID level ${d.raid_level}`);
  }
  if (disks[0] && disks[0].raid_level !== '1')
    problems.push('Software RAID Configuration requires RAID-1 for the first logical disk');
  if (disks.length === 2 && disks[0]?.size_gb === 'MAX' && disks[1]?.size_gb === 'MAX')
    problems.push("Software RAID can have only one RAID device with size 'MAX'");
  return problems;
}

/** IPA's get_block_devices_for_raid: each logical disk's disks (by hints, else all of them). */
function disksFor(logical: SoftwareLogicalDisk, candidates: readonly TargetDisk[]): TargetDisk[] {
  if (!logical.physical_disks) return [...candidates];
  const picked: TargetDisk[] = [];
  for (const hints of logical.physical_disks) {
    const parsed = parseRootDeviceHints(hints);
    if (!parsed.ok)
      throw new SoftwareRaidError(`physical disk ${JSON.stringify(hints)}: ${parsed.message}`);
    const left = candidates.filter((d) => !picked.includes(d));
    const match = matchRootDevice(
      left.map((d) => d.info),
      parsed.hints,
    );
    const disk = left.find((d) => d.info === match);
    if (!disk)
      throw new SoftwareRaidError(
        `No candidates for physical disk ${JSON.stringify(hints)} from the list ${candidates.map((d) => d.name).join(', ')}${picked.length ? ` after picking ${picked.map((d) => d.name).join(', ')}` : ''}`,
      );
    picked.push(disk);
  }
  return picked;
}

/** The next /dev/mdN no device uses (IPA's get_next_free_raid_device). */
async function freeMdDevice(taken: Set<string>): Promise<string> {
  const existing = new Set(
    (await readdir('/sys/block').catch(() => [] as string[])).map((n) => `/dev/${n}`),
  );
  for (let i = 0; i < 128; i++) {
    const name = `/dev/md${i}`;
    if (!existing.has(name) && !taken.has(name)) return name;
  }
  throw new SoftwareRaidError('No free md (RAID) devices are left');
}

/** The kernel made the device node of a partition it was told about (devtmpfs, no udev). */
async function waitForDevice(path: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new SoftwareRaidError(`${path} did not appear after partitioning`);
}

export interface CreatedArray {
  device: string;
  logical: SoftwareLogicalDisk;
  members: string[];
}

/**
 * IPA's _do_create_configuration for `controller: "software"` logical disks: the disks must carry
 * no partitions; each gets a partition table (GPT for UEFI, else MBR) whose first partition starts
 * after the ESP's room (551 MiB, UEFI) or the BIOS boot partition's (8 MiB, GPT) or at 1 MiB
 * (MBR); each logical disk becomes one partition per disk (size_gb GiB, 'MAX' last and to the end)
 * and an md device over them, md0 first. Returns the arrays made.
 */
export async function createSoftwareRaid(
  disks: readonly TargetDisk[],
  config: RaidConfig,
  bootMode: BootMode,
): Promise<CreatedArray[]> {
  const problems = softwareRaidProblems(config);
  if (problems.length > 0) throw new SoftwareRaidError(problems.join('; '));
  const physical = physicalDisks(disks);
  const files = physical.filter((d) => d.kind !== 'block');
  if (files.length > 0)
    throw new SoftwareRaidError(
      `software RAID needs block devices; ${files.map((d) => d.name).join(', ')} are lab files`,
    );
  // MAX last, as IPA reorders them (the other sizes are then taken from the start).
  const ordered = [
    ...config.logical_disks.filter((d) => d.size_gb !== 'MAX'),
    ...config.logical_disks.filter((d) => d.size_gb === 'MAX'),
  ];
  const plan = ordered.map((logical) => ({ logical, disks: disksFor(logical, physical) }));
  const involved = [...new Set(plan.flatMap((p) => p.disks))];
  const withPartitions: string[] = [];
  for (const disk of involved) {
    const table = await readPartitionTable(disk).catch(() => undefined);
    if (table && table.partitions.length > 0) withPartitions.push(disk.name);
  }
  if (withPartitions.length > 0)
    throw new SoftwareRaidError(
      `Partitions detected on devices ${withPartitions.join(', ')} during RAID config`,
    );

  const label = bootMode === 'uefi' ? 'gpt' : 'dos';
  const firstStartMiB = bootMode === 'uefi' ? ESP_SIZE_MIB + 1 : label === 'gpt' ? 8 : 1;
  const sectors = (bytes: number) => Math.floor(bytes / 512);
  // One sfdisk script per disk: every partition at once, then one re-read of the table.
  const partitions = new Map<TargetDisk, string[]>(involved.map((d) => [d, []]));
  const nextStart = new Map<TargetDisk, number>(involved.map((d) => [d, firstStartMiB * MiB]));
  const members = new Map<SoftwareLogicalDisk, string[]>();
  for (const { logical, disks: its } of plan) {
    const paths: string[] = [];
    for (const disk of its) {
      const start = nextStart.get(disk)!;
      const lines = partitions.get(disk)!;
      const type = label === 'gpt' ? LINUX_RAID_GPT : 'fd';
      if (logical.size_gb === 'MAX') {
        lines.push(`start=${sectors(start)}, type=${type}`);
      } else {
        // As IPA's calc_raid_partition_sectors: the first one ends at size_gb GiB of the disk.
        const end = (lines.length === 0 ? 0 : start) + logical.size_gb * GiB;
        if (end <= start)
          throw new SoftwareRaidError(
            `logical disk of ${logical.size_gb} GiB does not fit after ${start / MiB} MiB of ${disk.name}`,
          );
        lines.push(`start=${sectors(start)}, size=${sectors(end - start)}, type=${type}`);
        nextStart.set(disk, end);
      }
      paths.push(partitionPath(disk.path, lines.length));
    }
    members.set(logical, paths);
  }
  for (const [disk, lines] of partitions) {
    await runTool('sfdisk', ['--quiet', '--wipe', 'always', disk.path], {
      input: `label: ${label}\n${lines.join('\n')}\n`,
    }).catch((err: Error) => {
      throw new SoftwareRaidError(`Failed to create partitions on ${disk.name}: ${err.message}`);
    });
  }
  const created: CreatedArray[] = [];
  const taken = new Set<string>();
  for (const { logical } of plan) {
    const parts = members.get(logical)!;
    for (const part of parts) await waitForDevice(part);
    // md0 for the first logical disk of the target, as IPA numbers them by their index.
    const device = await freeMdDevice(taken);
    taken.add(device);
    const name = logical.volume_name ?? device.replace('/dev/', '');
    try {
      // --homehost=any: the array is assembled under its own name (md0, not md127) by the next
      // ramdisk and the deployed system, whatever their host names.
      await runTool('mdadm', [
        '--create',
        device,
        '--force',
        '--run',
        '--metadata=1',
        '--homehost=any',
        '--level',
        MDADM_LEVELS[logical.raid_level]!,
        '--name',
        name,
        '--raid-devices',
        String(parts.length),
        ...parts,
      ]);
    } catch (err) {
      throw new SoftwareRaidError(
        `Failed to create md device ${device} on ${parts.join(' ')}: ${(err as Error).message}`,
      );
    }
    created.push({ device, logical, members: parts });
  }
  return created;
}

/** The md devices of the machine, with the partitions (or disks) they are built on. */
async function mdDevices(): Promise<{ device: string; members: string[] }[]> {
  const names = (await readdir('/sys/block').catch(() => [] as string[])).filter((n) =>
    /^md\d+$/.test(n),
  );
  const out = [];
  for (const name of names) {
    const members = await readdir(`/sys/block/${name}/slaves`).catch(() => [] as string[]);
    out.push({ device: `/dev/${name}`, members: members.map((m) => `/dev/${m}`) });
  }
  return out;
}

/** True when the device carries an md superblock (mdadm --examine succeeds). */
async function hasSuperblock(device: string): Promise<boolean> {
  return runTool('mdadm', ['--examine', device]).then(
    () => true,
    () => false,
  );
}

/** The disk a partition is on: /dev/vda1 → /dev/vda, /dev/nvme0n1p2 → /dev/nvme0n1. */
const diskOf = (partition: string): string => partition.replace(/p?\d+$/, '');

/**
 * IPA's delete_configuration: every md device is wiped (wipefs) and stopped, the superblocks of
 * its members zeroed, then any superblock left on any partition or disk, and the partition tables
 * of the holder disks are wiped. Two passes at most, as IPA; returns what was deleted.
 */
export async function deleteSoftwareRaid(
  disks: readonly TargetDisk[],
  log: (message: string) => void,
): Promise<string[]> {
  const deleted: string[] = [];
  for (let pass = 0; pass < 2; pass++) {
    await assembleArrays();
    const arrays = await mdDevices();
    if (arrays.length === 0) break;
    const holders = new Set<string>();
    for (const { device, members } of arrays) {
      if (members.length === 0) continue; // a partition of an md device: goes with it
      await runTool('wipefs', ['-af', device]).catch((e: Error) =>
        log(`wipefs ${device}: ${e.message}`),
      );
      await runTool('mdadm', ['--stop', device]).catch((e: Error) =>
        log(`stop ${device}: ${e.message}`),
      );
      for (const member of members) {
        if (await hasSuperblock(member)) await runTool('mdadm', ['--zero-superblock', member]);
        holders.add(diskOf(member));
      }
      deleted.push(device);
    }
    // Traces of earlier arrays on any partition of any disk, partitions first (as IPA).
    for (const disk of physicalDisks(disks)) {
      const table = await readPartitionTable(disk).catch(() => undefined);
      const parts = (table?.partitions ?? []).map((p) => partitionPath(disk.path, p.number));
      for (const device of [...parts.reverse(), disk.path]) {
        if (await hasSuperblock(device))
          await runTool('mdadm', ['--zero-superblock', device]).catch((e: Error) =>
            log(`zero-superblock ${device}: ${e.message}`),
          );
      }
    }
    for (const holder of holders) {
      await runTool('wipefs', ['-af', holder]).catch((e: Error) =>
        log(`Failed to remove partitions on ${holder}: ${e.message}`),
      );
    }
  }
  const left = await mdDevices();
  if (left.some((a) => a.members.length > 0))
    throw new SoftwareRaidError(
      `Unable to clean all softraid correctly. Remaining ${left.map((a) => a.device).join(', ')}`,
    );
  return deleted;
}
