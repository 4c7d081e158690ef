// raw images stream straight onto the disk.
import { open } from 'node:fs/promises';
import type { TargetDisk } from '../disks/devices.js';
import { describe, deviceSize } from '../disks/devices.js';
import { zeroRange } from '../disks/erase.js';
import type { ExpectedDigest } from './checksum.js';
import type { FetchEnv } from './fetch-image.js';
import { fetchVerifiedImage } from './fetch-image.js';
import type { ImageInfo } from './image-info.js';

const MiB = 1024 * 1024;

/** Writes while hashing; any failure (checksum included) leaves the disk unbootable. */
export async function streamRawImage(
  info: ImageInfo,
  digest: ExpectedDigest,
  disk: TargetDisk,
  env: FetchEnv,
): Promise<void> {
  const size = await deviceSize(disk);
  const handle = await open(disk.path, 'r+');
  try {
    try {
      await fetchVerifiedImage(
        info,
        digest,
        handle,
        { limit: size, name: describe(disk), raw: true },
        env,
      );
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    // Never leave a partial or unverified image that firmware would happily boot.
    await zeroRange(disk.path, 0, Math.min(MiB, size));
    throw err;
  }
}
