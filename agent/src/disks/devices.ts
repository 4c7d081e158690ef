// The disks the agent may write: real block devices on a host, sparse files in the lab.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AgentConfig } from '../config.js';
import { ConfigError } from '../config.js';
import type { Disk, Inventory } from '../inventory/types.js';

export interface TargetDisk {
  /** Device name as reported in the inventory, e.g. "/dev/sda". */
  name: string;
  /** What is opened: the device itself, or the file that plays it in the lab. */
  path: string;
  kind: 'file' | 'block';
  info: Disk;
}

/** Pairs each inventory disk with what backs it; in the lab every disk must have a file. */
export function targetDisks(config: AgentConfig, inventory: Inventory): TargetDisk[] {
  if (config.platform !== 'lab') {
    return inventory.disks.map((info) => ({
      name: info.name,
      path: info.name,
      kind: 'block',
      info,
    }));
  }
  const files = config.disks ?? {};
  const missing = inventory.disks.filter((d) => !files[d.name]).map((d) => d.name);
  if (missing.length > 0) {
    throw new ConfigError([
      `disks: no file given for ${missing.join(', ')} of the hardware profile`,
    ]);
  }
  return inventory.disks.map((info) => ({
    name: info.name,
    path: files[info.name] ?? '',
    kind: 'file',
    info,
  }));
}

/**
 * Refuses to touch anything but the expected kind of object: a lab run must never reach a real
 * block device through a mistyped path, and a host disk must be a block device.
 */
export async function assertWritable(disk: TargetDisk): Promise<void> {
  let stats;
  try {
    stats = await stat(disk.path);
  } catch (err) {
    throw new Error(`${describe(disk)} cannot be opened: ${(err as Error).message}`);
  }
  if (disk.kind === 'file' && !stats.isFile()) {
    throw new Error(`${describe(disk)} is not a regular file; lab disks must be files`);
  }
  if (disk.kind === 'block' && !stats.isBlockDevice()) {
    throw new Error(`${describe(disk)} is not a block device`);
  }
}

/** Size in bytes of what currently backs the disk. */
export async function deviceSize(disk: TargetDisk): Promise<number> {
  if (disk.kind === 'file') return (await stat(disk.path)).size;
  const sectors = Number(
    await readFile(`/sys/class/block/${basename(disk.path)}/size`, 'utf8').catch(() => 'NaN'),
  );
  // The kernel counts in 512-byte units whatever the logical sector size.
  return Number.isFinite(sectors) && sectors > 0 ? sectors * 512 : disk.info.size;
}

/** "/dev/sda" or, in the lab, "/dev/sda (/var/lab/sda.img)" — messages name both. */
export function describe(disk: TargetDisk): string {
  return disk.kind === 'file' ? `${disk.name} (${disk.path})` : disk.name;
}
