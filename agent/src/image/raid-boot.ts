// Making a whole-disk image written onto an md device bootable, as IPA's install_bootloader does
// for software RAID (raid_utils.prepare_boot_partitions_for_softraid): firmware cannot read inside
// an md device, so the image's EFI system partition moves to an ESP on every holder disk, those
// ESPs mirrored by an md RAID-1 with metadata 1.0 (its superblock at the end: each member reads as
// a plain FAT to the firmware).
import { open } from 'node:fs/promises';
import { runTool } from '../tools.js';
import type { TargetDisk } from '../disks/devices.js';
import { describe, deviceSize } from '../disks/devices.js';
import { zeroRange } from '../disks/erase.js';
import { readPartitionTable } from '../disks/partition-table.js';
import { ESP_SIZE_MIB, partitionPath, type BootMode } from '../disks/software-raid.js';
import type { NodeInfo } from '../node-info.js';

const MiB = 1024 * 1024;
const ESP_GPT_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

/** The boot mode the instance boots in: the node's capability, else the ramdisk's own. */
export function targetBootMode(node: NodeInfo | undefined, current: BootMode): BootMode {
  const fromInstance = node?.instance_info?.deploy_boot_mode;
  if (fromInstance === 'uefi' || fromInstance === 'bios') return fromInstance;
  const capabilities = node?.properties?.capabilities;
  const text =
    typeof capabilities === 'string'
      ? capabilities
      : capabilities && typeof capabilities === 'object'
        ? Object.entries(capabilities)
            .map(([k, v]) => `${k}:${String(v)}`)
            .join(',')
        : '';
  const match = /(?:^|,)\s*boot_mode:(uefi|bios)\b/.exec(text);
  return match ? (match[1] as BootMode) : current;
}

/** An md RAID-1 with a FAT on it: the ESP array of an earlier deploy (IPA's find_esp_raid). */
async function existingEspArray(): Promise<string | undefined> {
  const { stdout } = await runTool('lsblk', ['--json', '--output', 'NAME,TYPE,FSTYPE']);
  const walk = (
    devices: { name: string; type: string; fstype?: string | null; children?: unknown[] }[],
  ): string | undefined => {
    for (const d of devices) {
      if (d.type === 'raid1' && d.fstype === 'vfat') return `/dev/${d.name}`;
      const inner = walk((d.children ?? []) as typeof devices);
      if (inner) return inner;
    }
    return undefined;
  };
  return walk(
    (JSON.parse(stdout) as { blockdevices?: Parameters<typeof walk>[0] }).blockdevices ?? [],
  );
}

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const there = await open(path, 'r').then(
      async (h) => (await h.close(), true),
      () => false,
    );
    if (there) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${path} did not appear`);
}

/** A free /dev/mdN. */
async function freeMd(): Promise<string> {
  for (let i = 0; i < 128; i++) {
    const taken = await open(`/sys/block/md${i}`, 'r').then(
      async (h) => (await h.close(), true),
      (err: NodeJS.ErrnoException) => err.code !== 'ENOENT',
    );
    if (!taken) return `/dev/md${i}`;
  }
  throw new Error('No free md (RAID) devices are left');
}

/** Copies [offset, offset + length) of one device to the start of another. */
async function copyRange(from: string, offset: number, length: number, to: string): Promise<void> {
  const source = await open(from, 'r');
  const target = await open(to, 'r+');
  try {
    const buffer = Buffer.alloc(4 * MiB);
    for (let done = 0; done < length;) {
      const n = Math.min(buffer.length, length - done);
      const { bytesRead } = await source.read(buffer, 0, n, offset + done);
      if (bytesRead === 0) throw new Error(`${from} ended at ${offset + done}`);
      await target.write(buffer, 0, bytesRead, done);
      done += bytesRead;
    }
    await target.datasync();
  } finally {
    await source.close();
    await target.close();
  }
}

/**
 * After the image went onto `md` (a software RAID device): in UEFI mode, the ESP array is made
 * (once: a redeploy finds it) from a 550 MiB partition "uefi-holder-N" in the room
 * create_configuration left at the start of each holder disk, the image's ESP copied onto it
 * block for block (its FAT UUID and label kept, so the image's references to it hold), and the
 * image's own ESP wiped so that one ESP has that UUID. BIOS mode needs GRUB installed into each
 * holder from the image's root file system (IPA's grub-install in a chroot): refused here.
 */
export async function prepareRaidBoot(
  md: TargetDisk,
  bootMode: BootMode,
  log: (message: string, fields?: Record<string, unknown>) => void,
): Promise<string> {
  const holders = md.info.holder_disks ?? [];
  if (bootMode !== 'uefi') {
    throw new Error(
      `${md.name} is a software RAID device and the node boots in ${bootMode} mode: that needs GRUB installed on ${holders.join(', ')} from the image's root file system, which this agent does not do; boot the node in UEFI mode`,
    );
  }
  const table = await readPartitionTable(md);
  const esp = table?.partitions.find((p) => p.type.toUpperCase() === ESP_GPT_TYPE);
  if (!table || !esp) {
    throw new Error(
      `the image written to ${md.name} has no EFI system partition to put on the holder disks ${holders.join(', ')}`,
    );
  }
  let espArray = await existingEspArray();
  if (espArray) {
    log('found the ESP array of an earlier deploy', { device: espArray });
  } else {
    const parts: string[] = [];
    for (const [index, holder] of holders.entries()) {
      const holderTable = await readPartitionTable({ ...md, name: holder, path: holder });
      const number = (holderTable?.partitions.reduce((n, p) => Math.max(n, p.number), 0) ?? 0) + 1;
      // The disk is in use (its RAID partition): no table re-read, the kernel is told of the
      // new partition alone (partx, as IPA's partprobe).
      await runTool('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', '--append', holder], {
        input: `start=${MiB / 512}, size=${(ESP_SIZE_MIB * MiB) / 512}, type=${ESP_GPT_TYPE}, name="uefi-holder-${index}"\n`,
      });
      const part = partitionPath(holder, number);
      await runTool('partx', ['--add', '--nr', String(number), holder]).catch(() => undefined);
      await waitFor(part);
      parts.push(part);
    }
    espArray = await freeMd();
    await runTool('mdadm', [
      '--create',
      espArray,
      '--force',
      '--run',
      '--metadata=1.0',
      '--homehost=any',
      '--level',
      '1',
      '--name',
      'esp',
      '--raid-devices',
      String(parts.length),
      ...parts,
    ]);
    log('created the ESP array on the holder disks', { device: espArray, members: parts });
  }
  const offset = esp.start * table.sectorSize;
  const length = esp.size * table.sectorSize;
  const room = await deviceSize({ ...md, name: espArray, path: espArray, kind: 'block' });
  if (length > room) {
    throw new Error(
      `the image's EFI system partition (${length} bytes) is larger than the ESP array ${espArray} (${room} bytes)`,
    );
  }
  await copyRange(md.path, offset, length, espArray);
  // As IPA's wipefs of the relocated ESP: its boot sector and FATs are in its first MiB.
  await zeroRange(md.path, offset, Math.min(MiB, length));
  return `EFI system partition moved to ${espArray} on ${holders.join(', ')} (${describe(md)} partition ${esp.number} wiped)`;
}
