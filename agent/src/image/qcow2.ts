// qcow2 images are staged in the work dir, verified, inspected, then converted onto the disk.
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TargetDisk } from '../disks/devices.js';
import { describe, deviceSize } from '../disks/devices.js';
import { AgentError } from '../errors.js';
import { runTool } from '../tools.js';
import type { ExpectedDigest } from './checksum.js';
import type { FetchEnv } from './fetch-image.js';
import { fetchVerifiedImage } from './fetch-image.js';
import type { ImageInfo } from './image-info.js';

export async function writeQcow2Image(
  info: ImageInfo,
  digest: ExpectedDigest,
  disk: TargetDisk,
  env: FetchEnv & { workDir: string },
): Promise<void> {
  await mkdir(env.workDir, { recursive: true });
  const dir = await mkdtemp(join(env.workDir, 'image-'));
  const staged = join(dir, 'image.qcow2');
  try {
    const handle = await open(staged, 'w+');
    try {
      await fetchVerifiedImage(
        info,
        digest,
        handle,
        { limit: Infinity, name: staged, raw: false },
        env,
      );
    } finally {
      await handle.close();
    }
    await checkQcow2(staged, await deviceSize(disk), disk, info);
    // -n: write into the existing disk (a lab file keeps its size; a device cannot be created).
    await runTool('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', '-n', staged, disk.path], {
      signal: env.signal,
    });
  } catch (err) {
    if (err instanceof AgentError) throw err;
    throw AgentError.imageWrite(
      `writing image ${info.id} to ${describe(disk)} failed: ${(err as Error).message}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface QemuImgInfo {
  format?: string;
  'virtual-size'?: number;
  'backing-filename'?: string;
  'format-specific'?: { data?: { 'data-file'?: string } };
}

/** A qcow2 may point at other files (backing or external data file): refuse those. */
async function checkQcow2(path: string, diskBytes: number, disk: TargetDisk, info: ImageInfo) {
  const { stdout } = await runTool('qemu-img', ['info', '--output=json', '-f', 'qcow2', path]);
  const meta = JSON.parse(stdout) as QemuImgInfo;
  if (meta.format !== 'qcow2') {
    throw AgentError.invalidImage(`image ${info.id} is not a qcow2 image`);
  }
  if (meta['backing-filename'] || meta['format-specific']?.data?.['data-file']) {
    throw AgentError.invalidImage(`image ${info.id} refers to another file (backing or data file)`);
  }
  const virtualSize = meta['virtual-size'] ?? 0;
  if (virtualSize > diskBytes) {
    throw AgentError.invalidImage(
      `image ${info.id} (${virtualSize} bytes) does not fit on ${describe(disk)} (${diskBytes} bytes)`,
    );
  }
}
