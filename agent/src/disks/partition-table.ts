// Reading and extending a disk's partition table with sfdisk (which also works on image files).
import type { TargetDisk } from './devices.js';
import { runTool, ToolError } from '../tools.js';

export interface Partition {
  number: number;
  /** In sectors. */
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
}

export interface PartitionTable {
  label: 'gpt' | 'dos';
  /** Disk GUID (gpt) or disk signature "0x…" (dos). */
  id: string;
  sectorSize: number;
  /** Last sector a partition may use (gpt only: before the backup header). */
  lastLba?: number;
  partitions: Partition[];
}

interface SfdiskJson {
  partitiontable: {
    label: string;
    id: string;
    sectorsize?: number;
    lastlba?: number;
    partitions?: {
      node: string;
      start: number;
      size: number;
      type: string;
      uuid?: string;
      name?: string;
    }[];
  };
}

/** The disk's table, or undefined when it has none. */
export async function readPartitionTable(disk: TargetDisk): Promise<PartitionTable | undefined> {
  let stdout: string;
  try {
    ({ stdout } = await runTool('sfdisk', ['--json', disk.path]));
  } catch (err) {
    if (
      err instanceof ToolError &&
      /does not contain a recognized partition table/.test(err.stderr)
    ) {
      return undefined;
    }
    throw err;
  }
  const table = (JSON.parse(stdout) as SfdiskJson).partitiontable;
  if (table.label !== 'gpt' && table.label !== 'dos') {
    throw new Error(`${disk.name} has an unsupported "${table.label}" partition table`);
  }
  return {
    label: table.label,
    id: table.id,
    sectorSize: table.sectorsize ?? 512,
    lastLba: table.lastlba,
    partitions: (table.partitions ?? []).map((p) => ({
      number: partitionNumber(p.node),
      start: p.start,
      size: p.size,
      type: p.type,
      uuid: p.uuid,
      name: p.name,
    })),
  };
}

/** "/dev/sda3" → 3, "/dev/nvme0n1p2" → 2, "/tmp/disk.img1" → 1. */
export function partitionNumber(node: string): number {
  const match = /(\d+)$/.exec(node);
  if (!match?.[1]) throw new Error(`cannot tell the partition number of ${node}`);
  return Number(match[1]);
}

/**
 * An image smaller than the disk leaves its GPT backup header mid-disk; moving it to the end
 * makes the space after the image usable (and the table valid for the firmware).
 */
export async function relocateGptBackup(disk: TargetDisk): Promise<void> {
  await runTool('sfdisk', [...quietFlags(disk), '--relocate', 'gpt-bak-std', disk.path]);
}

export interface NewPartition {
  start: number;
  size: number;
  /** GPT type GUID or MBR type byte (hex). */
  type: string;
  name?: string;
}

export async function appendPartition(disk: TargetDisk, part: NewPartition): Promise<void> {
  const fields = [`start=${part.start}`, `size=${part.size}`, `type=${part.type}`];
  if (part.name) fields.push(`name="${part.name}"`);
  await runTool('sfdisk', [...quietFlags(disk), '--append', disk.path], {
    input: fields.join(', ') + '\n',
  });
}

/** Image files have no kernel partition table to refresh; real devices do. */
function quietFlags(disk: TargetDisk): string[] {
  return disk.kind === 'file' ? ['--quiet', '--no-reread', '--no-tell-kernel'] : ['--quiet'];
}
