import { expect } from 'vitest';
import { readRange, reportDisk, sha256, type TestImage } from '@ingot/lab';

const MiB = 1024 * 1024;

/**
 * A deployed disk holds the image's bytes inside its partitions (only the GPT around them gained
 * the config drive's entry and moved its backup header, as in Ironic) and a config drive whose
 * user data names the host, as cloud-init would find it.
 */
export async function expectDeployedDisk(
  disk: string,
  image: TestImage,
  hostname: string,
): Promise<void> {
  const body = image.raw.subarray(MiB, image.raw.length - MiB);
  expect(sha256(await readRange(disk, MiB, body.length))).toBe(sha256(body));
  const report = await reportDisk(disk);
  expect(report.problem).toBeNull();
  expect(report.configDrive?.userData).toContain(`hostname: ${hostname}`);
}
