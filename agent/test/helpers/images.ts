// Building test images and config drives with the same tools an operator would use.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const SFDISK = '/usr/sbin/sfdisk';

export function digest(data: Buffer, algorithm: 'sha256' | 'sha512' | 'md5' = 'sha256'): string {
  return createHash(algorithm).update(data).digest('hex');
}

/** A raw image of `size` bytes with random data in its middle, optionally partitioned. */
export async function makeRawImage(
  path: string,
  size: number,
  label?: 'gpt' | 'dos',
): Promise<Buffer> {
  const handle = await open(path, 'w');
  await handle.truncate(size);
  await handle.write(randomBytes(256 * 1024), 0, 256 * 1024, 2 * 1024 * 1024);
  await handle.close();
  if (label) execFileSync(SFDISK, ['--quiet', path], { input: `label: ${label}\n,4M,L\n` });
  return readFile(path);
}

export function toQcow2(raw: string, qcow2: string): void {
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
}

/** An OpenStack config drive ISO (label config-2), as Ironic builds them. */
export async function makeConfigDriveIso(dir: string): Promise<Buffer> {
  const root = join(dir, 'cd-root');
  await mkdir(join(root, 'openstack/latest'), { recursive: true });
  await writeFile(
    join(root, 'openstack/latest/meta_data.json'),
    JSON.stringify({ uuid: 'node-1', hostname: 'lab-1' }),
  );
  await writeFile(join(root, 'openstack/latest/user_data'), '#cloud-config\nhostname: lab-1\n');
  const iso = join(dir, 'configdrive.iso');
  execFileSync(
    'xorriso',
    ['-as', 'mkisofs', '-quiet', '-V', 'config-2', '-J', '-R', '-o', iso, root],
    {
      stdio: 'ignore',
    },
  );
  return readFile(iso);
}

/** What Ironic puts in instance_info.configdrive. */
export function encodeConfigDrive(iso: Buffer): string {
  return gzipSync(iso).toString('base64');
}

export function partitionTable(path: string): any {
  return JSON.parse(execFileSync(SFDISK, ['--json', path]).toString()).partitiontable;
}
