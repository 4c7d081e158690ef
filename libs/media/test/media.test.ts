import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildConfigDrive,
  buildIso,
  convertToRaw,
  IsoFileNotFoundError,
  MediaToolError,
  qemuImgInfo,
  readIsoFile,
} from '../src/index.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'media-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const volumeLabel = async (iso: Buffer): Promise<string> => {
  const path = join(dir, `label-${Math.random()}.iso`);
  await writeFile(path, iso);
  const { stdout } = await run('xorriso', ['-indev', path, '-pvd_info']);
  return /Volume Id\s*:\s*(\S+)/.exec(stdout)?.[1] ?? '';
};

describe('buildIso / readIsoFile', () => {
  it('round-trips files with long, lower-case names and nested folders', async () => {
    const iso = await buildIso({
      volumeId: 'INGOT-TEST',
      files: {
        'ingot/agent.json': '{"a":1}',
        'a/deeply/nested/file-with-a-long-name.bin': Buffer.from([0, 1, 2, 255]),
      },
    });
    expect(iso.subarray(0x8001, 0x8006).toString()).toBe('CD001');
    expect((await readIsoFile(iso, 'ingot/agent.json')).toString()).toBe('{"a":1}');
    expect([...(await readIsoFile(iso, '/a/deeply/nested/file-with-a-long-name.bin'))]).toEqual([
      0, 1, 2, 255,
    ]);
    expect(await volumeLabel(iso)).toBe('INGOT-TEST');
  });

  it('reads from an ISO on disk too, and names a missing file clearly', async () => {
    const path = join(dir, 'x.iso');
    await writeFile(path, await buildIso({ volumeId: 'X', files: { 'one.txt': 'one' } }));
    expect((await readIsoFile(path, 'one.txt')).toString()).toBe('one');
    await expect(readIsoFile(path, 'two.txt')).rejects.toThrow(IsoFileNotFoundError);
    await expect(readIsoFile(path, 'two.txt')).rejects.toThrow(
      'The ISO image has no file /two.txt',
    );
    await expect(readIsoFile(join(dir, 'absent.iso'), 'one.txt')).rejects.toThrow(
      /Cannot read ISO image .*absent.iso: ENOENT/,
    );
  });

  it('refuses paths escaping the image and bad volume ids', async () => {
    await expect(buildIso({ volumeId: 'X', files: { '../etc/x': 'x' } })).rejects.toThrow(
      /must be relative/,
    );
    await expect(buildIso({ volumeId: 'X', files: { '/abs': 'x' } })).rejects.toThrow(
      /must be relative/,
    );
    await expect(buildIso({ volumeId: 'x'.repeat(33), files: { a: 'x' } })).rejects.toThrow(
      /1 to 32/,
    );
    await expect(buildIso({ volumeId: 'X', files: {} })).rejects.toThrow(/at least one file/);
  });
});

describe('buildConfigDrive', () => {
  it('writes the files cloud-init reads under both metadata versions, labelled config-2', async () => {
    const meta = { uuid: 'n1', hostname: 'node-1', public_keys: { k: 'ssh-ed25519 AAA' } };
    const network = { links: [], networks: [], services: [] };
    const { iso, encoded } = await buildConfigDrive({
      meta_data: meta,
      user_data: '#cloud-config\nhostname: node-1\n',
      network_data: network,
      vendor_data: { v: 1 },
    });
    expect(await volumeLabel(iso)).toBe('config-2');
    expect(gunzipSync(Buffer.from(encoded, 'base64')).equals(iso)).toBe(true);
    for (const version of ['latest', '2012-08-10']) {
      const read = async (name: string) =>
        (await readIsoFile(iso, `openstack/${version}/${name}`)).toString();
      expect(JSON.parse(await read('meta_data.json'))).toEqual(meta);
      expect(await read('user_data')).toBe('#cloud-config\nhostname: node-1\n');
      expect(JSON.parse(await read('network_data.json'))).toEqual(network);
      expect(JSON.parse(await read('vendor_data.json'))).toEqual({ v: 1 });
    }
  });

  it('leaves out what was not given', async () => {
    const { iso } = await buildConfigDrive({ meta_data: { uuid: 'n2' } });
    await expect(readIsoFile(iso, 'openstack/latest/user_data')).rejects.toThrow(
      IsoFileNotFoundError,
    );
    await expect(readIsoFile(iso, 'openstack/latest/network_data.json')).rejects.toThrow(
      IsoFileNotFoundError,
    );
  });

  it('explains bad input', async () => {
    const bad = (spec: unknown) => buildConfigDrive(spec as Parameters<typeof buildConfigDrive>[0]);
    await expect(bad({})).rejects.toThrow(
      'Config drive meta_data must be a JSON object, got undefined',
    );
    await expect(bad({ meta_data: [] })).rejects.toThrow('got an array');
    await expect(bad({ meta_data: {}, network_data: 'x' })).rejects.toThrow(
      'Config drive network_data must be a JSON object, got string',
    );
    await expect(bad({ meta_data: {}, user_data: 42 })).rejects.toThrow(
      'Config drive user_data must be a string, bytes or JSON, got number',
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(bad({ meta_data: cyclic })).rejects.toThrow(/not JSON-serialisable/);
  });
});

describe('qemu-img', () => {
  it('describes a qcow2 and converts it back to identical raw bytes', async () => {
    const raw = join(dir, 'disk.raw');
    const bytes = Buffer.alloc(1024 * 1024);
    bytes.write('hello disk', 4096);
    bytes.fill(7, 512 * 1024, 600 * 1024);
    await writeFile(raw, bytes);
    const qcow2 = join(dir, 'disk.qcow2');
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
    const info = await qemuImgInfo(qcow2);
    expect(info).toMatchObject({ format: 'qcow2', virtualSize: bytes.length });
    expect(info.backingFile).toBeUndefined();
    const back = join(dir, 'back.raw');
    await convertToRaw(qcow2, back, { sourceFormat: 'qcow2' });
    expect((await readFile(back)).equals(bytes)).toBe(true);
    expect(await qemuImgInfo(back, 'raw')).toMatchObject({ format: 'raw' });
  });

  it('reports a backing file, which callers must refuse', async () => {
    const base = join(dir, 'base.raw');
    await writeFile(base, Buffer.alloc(65536));
    const overlay = join(dir, 'overlay.qcow2');
    await run('qemu-img', ['create', '-f', 'qcow2', '-b', base, '-F', 'raw', overlay]);
    expect((await qemuImgInfo(overlay, 'qcow2')).backingFile).toBe(base);
  });

  it("fails with qemu-img's own words", async () => {
    const notQcow2 = join(dir, 'plain.bin');
    await writeFile(notQcow2, 'not an image at all');
    const error = await qemuImgInfo(join(dir, 'nope.qcow2')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaToolError);
    expect((error as MediaToolError).stderr).toMatch(/No such file or directory/);
    expect((error as Error).message).toMatch(/^qemu-img exited with 1: .*No such file/);
    await expect(
      convertToRaw(notQcow2, join(dir, 'o.raw'), { sourceFormat: 'qcow2' }),
    ).rejects.toThrow(/qemu-img exited with 1: .*(not in qcow2 format|Image is not)/);
  });
});
