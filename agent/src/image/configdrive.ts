// The config drive: decoding what Ironic sends (base64 of a gzipped ISO, or a URL to one) and
// writing it into a new partition at the end of the disk, where cloud-init finds it.
import { open } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { AgentError } from '../errors.js';
import type { TargetDisk } from '../disks/devices.js';
import { deviceSize, describe } from '../disks/devices.js';
import type { PartitionTable } from '../disks/partition-table.js';
import {
  appendPartition,
  readPartitionTable,
  relocateGptBackup,
} from '../disks/partition-table.js';
import { BufferSink, downloadTo } from './download.js';

const MiB = 1024 * 1024;
/** Ironic's limit, and the size of the partition made for it. */
export const MAX_CONFIG_DRIVE_BYTES = 64 * MiB;
const LINUX_FILESYSTEM_GUID = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const MBR_LIMIT_SECTORS = 2 ** 32;

export async function loadConfigDrive(
  value: string,
  signal?: AbortSignal,
  dispatcher?: Dispatcher,
): Promise<Buffer> {
  let payload: Buffer;
  if (/^https?:\/\//i.test(value.trim())) {
    const sink = new BufferSink();
    try {
      await downloadTo(value.trim(), sink, {
        signal,
        dispatcher,
        maxBytes: 2 * MAX_CONFIG_DRIVE_BYTES,
      });
    } catch (err) {
      throw AgentError.configDrive(
        `cannot download the config drive from ${value}: ${(err as Error).message}`,
      );
    }
    payload = sink.bytes();
  } else {
    payload = Buffer.from(value, 'utf8');
  }
  return decodeConfigDrive(payload);
}

/** base64 text is decoded, gzip is inflated; what remains is the file system image. */
export function decodeConfigDrive(payload: Buffer): Buffer {
  let data = payload;
  if (looksLikeBase64(data)) data = Buffer.from(data.toString('ascii'), 'base64');
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data, { maxOutputLength: MAX_CONFIG_DRIVE_BYTES });
    } catch (err) {
      throw AgentError.configDrive(
        `the config drive is not valid gzip data or exceeds 64 MiB: ${(err as Error).message}`,
      );
    }
  }
  if (data.length === 0) throw AgentError.configDrive('the config drive is empty');
  if (data.length > MAX_CONFIG_DRIVE_BYTES) {
    throw AgentError.configDrive(
      `the config drive is ${data.length} bytes, more than the 64 MiB allowed`,
    );
  }
  return data;
}

function looksLikeBase64(data: Buffer): boolean {
  if (data.length === 0 || data.length > 4 * MAX_CONFIG_DRIVE_BYTES) return false;
  return /^[A-Za-z0-9+/=\s_-]+$/.test(data.toString('latin1'));
}

/** Adds the config drive partition after the image and writes the image; returns its number. */
export async function writeConfigDrive(disk: TargetDisk, image: Buffer): Promise<number> {
  let table = await readPartitionTable(disk);
  if (!table) {
    throw AgentError.configDrive(
      `${describe(disk)} has no partition table after writing the image, so there is no place ` +
        'for the config drive (a whole-disk image must carry a GPT or MBR partition table)',
    );
  }
  if (table.label === 'gpt') {
    await relocateGptBackup(disk);
    table = (await readPartitionTable(disk)) ?? table;
  }
  const placement = placePartition(table, await deviceSize(disk), disk);
  await appendPartition(disk, {
    ...placement,
    type: table.label === 'gpt' ? LINUX_FILESYSTEM_GUID : '83',
    name: table.label === 'gpt' ? 'config-2' : undefined,
  });
  const created = (await readPartitionTable(disk))?.partitions.find(
    (p) => p.start === placement.start,
  );
  if (!created)
    throw AgentError.configDrive(`the config drive partition did not appear on ${describe(disk)}`);
  const handle = await open(disk.path, 'r+');
  try {
    await handle.write(image, 0, image.length, placement.start * table.sectorSize);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return created.number;
}

/** The last 64 MiB (1 MiB aligned) before the end of the disk or the GPT backup header. */
export function placePartition(
  table: PartitionTable,
  diskBytes: number,
  disk: TargetDisk,
): { start: number; size: number } {
  const sectorSize = table.sectorSize;
  const totalSectors = Math.floor(diskBytes / sectorSize);
  const lastUsable =
    table.label === 'gpt' && table.lastLba !== undefined ? table.lastLba : totalSectors - 1;
  const alignment = MiB / sectorSize;
  const wanted = MAX_CONFIG_DRIVE_BYTES / sectorSize;
  const start = Math.floor((lastUsable + 1 - wanted) / alignment) * alignment;
  const usedUpTo = Math.max(0, ...table.partitions.map((p) => p.start + p.size));
  if (start < usedUpTo) {
    throw AgentError.configDrive(
      `no room for a 64 MiB config drive partition at the end of ${describe(disk)}: ` +
        `the image's partitions end at sector ${usedUpTo}, the disk's last usable sector is ${lastUsable}`,
    );
  }
  if (table.label === 'dos') {
    if (table.partitions.filter((p) => p.number <= 4).length >= 4) {
      throw AgentError.configDrive(
        `${describe(disk)} already has 4 primary MBR partitions: no slot for the config drive`,
      );
    }
    if (lastUsable >= MBR_LIMIT_SECTORS) {
      throw AgentError.configDrive(
        `${describe(disk)} is larger than 2 TiB: an MBR partition cannot reach its end`,
      );
    }
  }
  return { start, size: lastUsable - start + 1 };
}
