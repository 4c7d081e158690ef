// write_image end to end: images served over HTTP on 127.0.0.1, written to sparse-file disks.
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../src/index.js';
import { silentSink, startAgent } from '../src/index.js';
import { postCommand, runCommand } from './helpers/agent-api.js';
import { FAKE_TOKEN, FakeIronic } from './helpers/fake-ironic.js';
import { FileServer } from './helpers/file-server.js';
import {
  SFDISK,
  digest,
  encodeConfigDrive,
  makeConfigDriveIso,
  makeRawImage,
  partitionTable,
  toQcow2,
} from './helpers/images.js';
import type { LabMachine } from './helpers/lab.js';
import { MiB, makeLabMachine } from './helpers/lab.js';

const DISK_SIZE = 256 * MiB;

let ironic: FakeIronic;
let files: FileServer;
let lab: LabMachine;
let agent: RunningAgent;
let url: string;
let dir: string;
let disk: string;

beforeAll(async () => {
  ironic = await new FakeIronic().start();
  files = await new FileServer({ dropFirstAfter: undefined }).start();
  lab = await makeLabMachine(ironic.url, { '/dev/sda': DISK_SIZE });
  disk = lab.disks['/dev/sda']!;
  dir = await mkdtemp(join(tmpdir(), 'ingot-agent-images-'));
  agent = await startAgent(lab.config(), { logSink: silentSink });
  url = `http://127.0.0.1:${agent.port}`;
});
afterAll(async () => {
  await agent.stop();
  await files.stop();
  await ironic.stop();
  await lab.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** Each test starts from a blank (all-holes) disk. */
beforeEach(async () => {
  const handle = await open(disk, 'w');
  await handle.truncate(DISK_SIZE);
  await handle.close();
});

function deployStep(imageInfo: Record<string, unknown>, configdrive?: string) {
  return runCommand(url, FAKE_TOKEN, 'deploy.execute_deploy_step', {
    step: {
      step: 'write_image',
      interface: 'deploy',
      priority: 80,
      args: { image_info: imageInfo, configdrive },
    },
    node: {
      uuid: ironic.nodeUuid,
      instance_info: {},
      properties: { root_device: { name: '/dev/sda' } },
    },
    ports: [],
    deploy_version: { generic_hardware_manager: '1.2' },
  });
}

async function diskHead(length: number): Promise<Buffer> {
  return (await readFile(disk)).subarray(0, length);
}

describe('write_image', () => {
  it('streams a raw image onto the disk after checking its sha256', async () => {
    const path = join(dir, 'plain.raw');
    const image = await makeRawImage(path, 8 * MiB);
    const result = await deployStep({
      id: 'plain',
      urls: [files.serve('plain.raw', path)],
      disk_format: 'raw',
      checksum: digest(image),
      stream_raw_images: true,
    });
    expect(result.command_status).toBe('SUCCEEDED');
    expect(result.command_result).toEqual({
      deploy_result: { result: 'write_image: image (plain) written to /dev/sda' },
      deploy_step: expect.objectContaining({ step: 'write_image' }),
    });
    expect((await diskHead(image.length)).equals(image)).toBe(true);
    expect((await stat(disk)).size).toBe(DISK_SIZE);
  });

  it('fails on a checksum mismatch and zeroes the head of the disk', async () => {
    const path = join(dir, 'bad.raw');
    const image = await makeRawImage(path, 4 * MiB);
    await writeFile(path, Buffer.concat([Buffer.alloc(MiB, 0x55), image.subarray(MiB)]));
    const imageUrl = files.serve('bad.raw', path);
    const expected = digest(image, 'sha512');
    const got = digest(await readFile(path), 'sha512');
    const result = await deployStep({
      id: 'bad',
      urls: [imageUrl],
      disk_format: 'raw',
      os_hash_algo: 'sha512',
      os_hash_value: expected,
    });
    expect(result.command_status).toBe('FAILED');
    expect(result.command_error).toMatchObject({
      type: 'ImageChecksumError',
      details: `Image checksum mismatch for ${imageUrl}: expected ${expected}, got ${got}`,
    });
    const head = await diskHead(MiB);
    expect(head.every((b) => b === 0)).toBe(true);
    // The rest of what was streamed is still there: only the head had to go.
    expect(
      (await diskHead(4 * MiB))
        .subarray(2 * MiB, 2 * MiB + 1024)
        .equals(image.subarray(2 * MiB, 2 * MiB + 1024)),
    ).toBe(true);
  });

  it('converts a qcow2 image onto the disk, keeping the disk size', async () => {
    const raw = join(dir, 'q.raw');
    const image = await makeRawImage(raw, 10 * MiB, 'gpt');
    const qcow2 = join(dir, 'q.qcow2');
    toQcow2(raw, qcow2);
    const result = await deployStep({
      id: 'q',
      urls: [files.serve('q.qcow2', qcow2)],
      disk_format: 'qcow2',
      os_hash_algo: 'sha256',
      os_hash_value: digest(await readFile(qcow2)),
    });
    expect(result.command_status).toBe('SUCCEEDED');
    expect((await diskHead(image.length)).equals(image)).toBe(true);
    expect((await stat(disk)).size).toBe(DISK_SIZE);
  });

  it('writes the config drive into a new last partition of a GPT image', async () => {
    const raw = join(dir, 'gpt.raw');
    const image = await makeRawImage(raw, 16 * MiB, 'gpt');
    const iso = await makeConfigDriveIso(join(dir));
    const result = await deployStep(
      {
        id: 'gpt',
        urls: [files.serve('gpt.raw', raw)],
        disk_format: 'raw',
        checksum: digest(image),
      },
      encodeConfigDrive(iso),
    );
    expect(result.command_status).toBe('SUCCEEDED');
    expect(result.command_result.deploy_result.result).toBe(
      'write_image: image (gpt) written to /dev/sda, config drive on partition 2',
    );
    const table = partitionTable(disk);
    expect(table.label).toBe('gpt');
    expect(table.partitions).toHaveLength(2);
    const configPart = table.partitions[1];
    // The backup header moved to the end of the disk and the partition reaches up to it.
    expect(table.lastlba).toBe(DISK_SIZE / 512 - 34);
    expect(configPart.start + configPart.size - 1).toBe(table.lastlba);
    expect(configPart.size * 512).toBeGreaterThanOrEqual(64 * MiB);
    expect(configPart.name).toBe('config-2');
    const bytes = (await readFile(disk)).subarray(
      configPart.start * 512,
      configPart.start * 512 + iso.length,
    );
    expect(bytes.equals(iso)).toBe(true);
    execFileSync(SFDISK, ['--verify', disk], { stdio: 'ignore' });
    // The partition holds a readable ISO 9660 file system labelled config-2.
    const extracted = join(dir, 'extracted.iso');
    await writeFile(extracted, bytes);
    const listing = execFileSync('xorriso', ['-indev', extracted, '-pvd_info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(listing.toString()).toContain('config-2');

    const uuids = await postCommand(url, FAKE_TOKEN, 'standby.get_partition_uuids', {});
    expect(uuids.body.command_result).toEqual({ 'root uuid': table.id });
  });

  it('fetches a config drive by URL and adds a primary partition to an MBR image', async () => {
    const raw = join(dir, 'mbr.raw');
    const image = await makeRawImage(raw, 16 * MiB, 'dos');
    const iso = await makeConfigDriveIso(join(dir));
    const encoded = join(dir, 'configdrive.gz.b64');
    await writeFile(encoded, encodeConfigDrive(iso));
    const result = await runCommand(url, FAKE_TOKEN, 'standby.prepare_image', {
      image_info: {
        id: 'mbr',
        urls: [files.serve('mbr.raw', raw)],
        disk_format: 'raw',
        checksum: digest(image),
        root_device: '/dev/sda',
      },
      configdrive: files.serve('configdrive.gz.b64', encoded),
    });
    expect(result.command_status).toBe('SUCCEEDED');
    expect(result.command_result).toEqual({
      result: 'prepare_image: image (mbr) written to /dev/sda, config drive on partition 2',
    });
    const table = partitionTable(disk);
    expect(table.label).toBe('dos');
    const configPart = table.partitions[1];
    expect(configPart.type).toBe('83');
    expect(configPart.start + configPart.size).toBe(DISK_SIZE / 512);
    const bytes = (await readFile(disk)).subarray(
      configPart.start * 512,
      configPart.start * 512 + iso.length,
    );
    expect(bytes.equals(iso)).toBe(true);
  });

  it('refuses a config drive for an image without a partition table', async () => {
    const raw = join(dir, 'bare.raw');
    const image = await makeRawImage(raw, 4 * MiB);
    const iso = await makeConfigDriveIso(join(dir));
    const result = await deployStep(
      {
        id: 'bare',
        urls: [files.serve('bare.raw', raw)],
        disk_format: 'raw',
        checksum: digest(image),
      },
      encodeConfigDrive(iso),
    );
    expect(result.command_status).toBe('FAILED');
    expect(result.command_error.details).toContain(
      'has no partition table after writing the image',
    );
  });

  it('resumes a download whose connection dropped', async () => {
    const flaky = await new FileServer({ dropFirstAfter: 3 * MiB }).start();
    try {
      const raw = join(dir, 'flaky.raw');
      const image = await makeRawImage(raw, 6 * MiB);
      const result = await deployStep({
        id: 'flaky',
        urls: [flaky.serve('flaky.raw', raw)],
        disk_format: 'raw',
        checksum: digest(image),
      });
      expect(result.command_status).toBe('SUCCEEDED');
      expect((await diskHead(image.length)).equals(image)).toBe(true);
      expect(flaky.requests.length).toBe(2);
      expect(flaky.requests[1]!.range).toMatch(/^bytes=\d+-$/);
    } finally {
      await flaky.stop();
    }
  });

  it('tries the next URL when one fails', async () => {
    const raw = join(dir, 'second.raw');
    const image = await makeRawImage(raw, 2 * MiB);
    const result = await deployStep({
      id: 'second',
      urls: [`${files.url}/missing.raw`, files.serve('second.raw', raw)],
      disk_format: 'raw',
      checksum: digest(image),
    });
    expect(result.command_status).toBe('SUCCEEDED');
  });

  it('reports a download that fails everywhere, and leaves the disk unbootable', async () => {
    const handle = await open(disk, 'r+');
    await handle.write(Buffer.alloc(MiB, 0xff), 0, MiB, 0);
    await handle.close();
    const result = await deployStep({
      id: 'gone',
      urls: [`${files.url}/missing.raw`],
      disk_format: 'raw',
      checksum: 'a'.repeat(64),
    });
    expect(result.command_status).toBe('FAILED');
    expect(result.command_error).toMatchObject({ type: 'ImageDownloadError' });
    expect(result.command_error.details).toBe(
      `Download of image gone failed: ${files.url}/missing.raw: HTTP 404 Not Found`,
    );
    expect((await diskHead(MiB)).every((b) => b === 0)).toBe(true);
  });

  it('refuses a qcow2 image declared raw, md5 unless allowed, and bad image_info', async () => {
    const raw = join(dir, 'm.raw');
    await makeRawImage(raw, 2 * MiB);
    const qcow2 = join(dir, 'm.qcow2');
    toQcow2(raw, qcow2);
    const qcowData = await readFile(qcow2);
    const mislabelled = await deployStep({
      id: 'mislabelled',
      urls: [files.serve('m.qcow2', qcow2)],
      disk_format: 'raw',
      checksum: digest(qcowData),
    });
    expect(mislabelled.command_status).toBe('FAILED');
    expect(mislabelled.command_error.details).toContain('declared raw but is a qcow2 image');

    const md5Info = {
      id: 'md5',
      urls: [files.serve('m.raw', raw)],
      disk_format: 'raw',
      checksum: digest(await readFile(raw), 'md5'),
    };
    const refused = await postCommand(url, FAKE_TOKEN, 'standby.prepare_image', {
      image_info: md5Info,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toContain('md5 image checksums are refused');
    const allowed = await runCommand(url, FAKE_TOKEN, 'standby.prepare_image', {
      image_info: { ...md5Info, root_device: '/dev/sda', allow_md5: true },
    });
    expect(allowed.command_status).toBe('SUCCEEDED');

    const noChecksum = await postCommand(url, FAKE_TOKEN, 'standby.prepare_image', {
      image_info: { id: 'x', urls: ['http://127.0.0.1:1/x'] },
    });
    expect(noChecksum.status).toBe(400);
    expect(noChecksum.body.type).toBe('InvalidCommandParamsError');
  });
});
