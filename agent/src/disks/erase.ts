// Wiping disks: metadata only (signatures and partition tables) or the whole surface.
import { open } from 'node:fs/promises';
import { runTool } from '../tools.js';
import type { TargetDisk } from './devices.js';
import { assertWritable, deviceSize } from './devices.js';

const MiB = 1024 * 1024;
const ZEROS = Buffer.alloc(MiB);

/** Writes zeros over [offset, offset + length). */
export async function zeroRange(path: string, offset: number, length: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    let done = 0;
    while (done < length) {
      const n = Math.min(ZEROS.length, length - done);
      await handle.write(ZEROS, 0, n, offset + done);
      done += n;
    }
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes the disk look blank to firmware, partitioners and blkid: the first and last MiB hold the
 * MBR, the primary GPT and the backup GPT. On real devices wipefs also clears the signatures of
 * the partitions, which would otherwise reappear when a similar table is written again.
 */
export async function eraseMetadata(disk: TargetDisk): Promise<string> {
  await assertWritable(disk);
  if (disk.kind === 'block') {
    for (const partition of await partitionsOf(disk.path)) {
      await runTool('wipefs', ['--all', '--force', partition]);
    }
    await runTool('wipefs', ['--all', '--force', disk.path]);
  }
  const size = await deviceSize(disk);
  const head = Math.min(MiB, size);
  await zeroRange(disk.path, 0, head);
  const tailStart = Math.max(size - MiB, head);
  if (size > tailStart) await zeroRange(disk.path, tailStart, size - tailStart);
  return 'metadata erased (first and last MiB zeroed)';
}

/** Erases every byte: a hole punched through a lab file, a zero-out of a real device. */
export async function eraseAll(disk: TargetDisk): Promise<string> {
  await assertWritable(disk);
  const size = await deviceSize(disk);
  if (disk.kind === 'file') {
    // Punching keeps the file's size and sparseness, and the range reads back as zeros.
    await runTool('fallocate', [
      '--punch-hole',
      '--keep-size',
      '--offset',
      '0',
      '--length',
      String(size),
      disk.path,
    ]);
    return `erased ${size} bytes (hole punched)`;
  }
  try {
    // --zeroout, not a plain discard: a discarded range is not guaranteed to read back as zeros.
    await runTool('blkdiscard', ['--zeroout', disk.path]);
    return `erased ${size} bytes (blkdiscard --zeroout)`;
  } catch {
    await zeroRange(disk.path, 0, size);
    return `erased ${size} bytes (zeros written)`;
  }
}

async function partitionsOf(device: string): Promise<string[]> {
  const { stdout } = await runTool('lsblk', [
    '--json',
    '--list',
    '--paths',
    '--output',
    'NAME,TYPE',
    device,
  ]);
  const parsed = JSON.parse(stdout) as { blockdevices?: { name: string; type: string }[] };
  return (parsed.blockdevices ?? []).filter((d) => d.type === 'part').map((d) => d.name);
}
