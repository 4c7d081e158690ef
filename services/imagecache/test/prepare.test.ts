import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { diskBytes, ok, Origin, sha, startHarness, statusOf, type Harness } from './harness.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
let origin: Origin;
let work: string;
let harness: Harness;
const raw = diskBytes(MiB, 1);
let qcow2: Buffer;

beforeAll(async () => {
  origin = await Origin.start();
  work = await mkdtemp(join(tmpdir(), 'imagecache-images-'));
  await writeFile(join(work, 'disk.raw'), raw);
  await run('qemu-img', [
    'convert',
    '-f',
    'raw',
    '-O',
    'qcow2',
    join(work, 'disk.raw'),
    join(work, 'disk.qcow2'),
  ]);
  qcow2 = await readFile(join(work, 'disk.qcow2'));
  origin.serve('/disk.raw', raw);
  origin.serve('/disk.qcow2', qcow2);
});
afterAll(async () => {
  await origin.close();
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await harness?.close();
});

const indexEntries = async (h: Harness) =>
  JSON.parse(await readFile(join(h.config.dir, 'index.json'), 'utf8').catch(() => '{"entries":{}}'))
    .entries as Record<string, { sha256: string }>;

describe('image.prepare', () => {
  it('downloads an image once for ten concurrent requests and answers all ten alike', async () => {
    harness = await startHarness();
    const path = '/concurrent.raw';
    const url = origin.serve(path, raw);
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        harness.send('image.prepare', { image_source: url, checksum: sha('sha256', raw) }),
      ),
    );
    expect(origin.count(path)).toBe(1);
    const first = ok(replies[0]!);
    expect(first).toMatchObject({
      ok: true,
      sha256: sha('sha256', raw),
      size: raw.length,
      disk_format: 'raw',
      url: `${harness.cache.publicUrl}/images/${sha('sha256', raw)}.raw`,
    });
    for (const reply of replies)
      expect({ ...reply, command_id: '' }).toEqual({ ...first, command_id: '' });
    const served = Buffer.from(await (await fetch(first.url)).arrayBuffer());
    expect(served.equals(raw)).toBe(true);
    // A later request is a cache hit.
    ok(await harness.send('image.prepare', { image_source: url, checksum: sha('sha256', raw) }));
    expect(origin.count(path)).toBe(1);
  });

  it('converts a qcow2 (checked with sha512) to raw bytes equal to the original', async () => {
    harness = await startHarness();
    const reply = ok(
      await harness.send('image.prepare', {
        image_source: origin.url('/disk.qcow2'),
        checksum: sha('sha512', qcow2),
        // The magic bytes decide, not what the request claims.
        disk_format: 'raw',
      }),
    );
    expect(reply).toMatchObject({
      sha256: sha('sha256', raw),
      size: raw.length,
      disk_format: 'raw',
    });
    const served = Buffer.from(await (await fetch(reply.url)).arrayBuffer());
    expect(served.equals(raw)).toBe(true);
  });

  it('a checksum mismatch is reported and leaves nothing behind', async () => {
    harness = await startHarness();
    const url = origin.url('/disk.raw');
    const wrong = 'ab'.repeat(32);
    const reply = await harness.send('image.prepare', { image_source: url, checksum: wrong });
    expect(reply).toMatchObject({
      ok: false,
      error: {
        kind: 'checksum',
        message: `Checksum mismatch for ${url}: expected sha256 ${wrong}, got ${sha('sha256', raw)}`,
      },
    });
    expect(await indexEntries(harness)).toEqual({});
    expect(await readdir(join(harness.config.dir, 'images'))).toEqual([]);
    expect(await readdir(join(harness.config.dir, 'tmp'))).toEqual([]);
    expect(await statusOf(`${harness.cache.publicUrl}/images/${sha('sha256', raw)}.raw`)).toBe(404);
  });

  it('an unreachable or failing origin is a download error worded for a person', async () => {
    harness = await startHarness();
    const checksum = sha('sha256', raw);
    expect(
      await harness.send('image.prepare', { image_source: 'http://127.0.0.1:9/x.img', checksum }),
    ).toMatchObject({
      ok: false,
      error: {
        kind: 'download',
        message: 'Could not download http://127.0.0.1:9/x.img: connection refused',
      },
    });
    const missing = origin.url('/missing.img');
    expect(await harness.send('image.prepare', { image_source: missing, checksum })).toMatchObject({
      ok: false,
      error: { kind: 'download', message: `Could not download ${missing}: HTTP 404 Not Found` },
    });
    expect(
      await harness.send('image.prepare', { image_source: 'ftp://127.0.0.1/x.img', checksum }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'invalid' },
    });
  });

  it('refuses md5 unless allowed, and refuses images without a checksum', async () => {
    harness = await startHarness();
    const url = origin.url('/disk.raw');
    const md5 = sha('md5', raw);
    const refused = await harness.send('image.prepare', { image_source: url, checksum: md5 });
    expect(refused).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect(!refused.ok && refused.error.message).toMatch(/is md5, which is refused as too weak/);
    ok(await harness.send('image.prepare', { image_source: url, checksum: md5, allow_md5: true }));
    const unchecked = await harness.send('image.prepare', { image_source: url });
    expect(unchecked).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect(!unchecked.ok && unchecked.error.message).toMatch(/^No checksum given for /);
    expect(
      await harness.send('image.prepare', {
        image_source: url,
        checksum: sha('sha256', raw),
        hash_algo: 'sha512',
      }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'invalid', message: expect.stringMatching(/sha512 needs 128/) },
    });
  });

  it('md5 passes when the operator allowed it (INGOT_ALLOW_MD5)', async () => {
    harness = await startHarness({ INGOT_ALLOW_MD5: 'true' });
    ok(
      await harness.send('image.prepare', {
        image_source: origin.url('/disk.raw'),
        checksum: sha('md5', raw),
      }),
    );
  });

  it('refuses a qcow2 with a backing file', async () => {
    harness = await startHarness();
    const overlayPath = join(work, 'overlay.qcow2');
    await run('qemu-img', [
      'create',
      '-f',
      'qcow2',
      '-b',
      '/etc/hostname',
      '-F',
      'raw',
      overlayPath,
      '1M',
    ]);
    const overlay = await readFile(overlayPath);
    const url = origin.serve('/overlay.qcow2', overlay);
    const reply = await harness.send('image.prepare', {
      image_source: url,
      checksum: sha('sha256', overlay),
    });
    expect(reply).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect(!reply.ok && reply.error.message).toMatch(/depends on another file \(\/etc\/hostname\)/);
  });

  it('evicts the least recently used image to stay within the budget', async () => {
    const size = 256 * 1024;
    harness = await startHarness({
      INGOT_IMAGECACHE_BUDGET_BYTES: String(size * 2 + 1000),
      INGOT_IMAGECACHE_RESERVE_MS: '0',
    });
    const [a, b, c] = [2, 3, 4].map((seed) => diskBytes(size, seed)) as [Buffer, Buffer, Buffer];
    const prepare = (name: string, bytes: Buffer) =>
      harness.send('image.prepare', {
        image_source: origin.serve(`/${name}`, bytes),
        checksum: sha('sha256', bytes),
      });
    const urlOf = (bytes: Buffer) =>
      `${harness.cache.publicUrl}/images/${sha('sha256', bytes)}.raw`;
    ok(await prepare('a', a));
    ok(await prepare('b', b));
    // Serving a makes it the most recently used; b is now the oldest.
    expect(await statusOf(urlOf(a))).toBe(200);
    ok(await prepare('c', c));
    expect(await statusOf(urlOf(a))).toBe(200);
    expect(await statusOf(urlOf(b))).toBe(404);
    expect(await statusOf(urlOf(c))).toBe(200);
    expect(
      Object.values(await indexEntries(harness))
        .map((e) => e.sha256)
        .sort(),
    ).toEqual([sha('sha256', a), sha('sha256', c)].sort());
    // b comes back with a new download, and a (least recently used now) makes room for it.
    ok(await prepare('b', b));
    expect(origin.count('/b')).toBe(2);
    expect(await statusOf(urlOf(a))).toBe(404);
  });

  it('never evicts an image while it is being served, and says when there is no room', async () => {
    // Large enough that the transfer cannot sit whole in the loopback socket buffers.
    const size = 16 * MiB;
    harness = await startHarness({
      INGOT_IMAGECACHE_BUDGET_BYTES: String(size + 1000),
      INGOT_IMAGECACHE_RESERVE_MS: '0',
    });
    const [a, b] = [5, 6].map((seed) => diskBytes(size, seed)) as [Buffer, Buffer];
    const prepare = (name: string, bytes: Buffer) =>
      harness.send('image.prepare', {
        image_source: origin.serve(`/${name}`, bytes),
        checksum: sha('sha256', bytes),
      });
    const first = ok(await prepare('pinned-a', a));
    // A reader that stops reading keeps the transfer, and the pin, open.
    const reader = await fetch(first.url);
    const body = reader.body!.getReader();
    await body.read();
    const refused = await prepare('pinned-b', b);
    expect(refused).toMatchObject({ ok: false, error: { kind: 'capacity' } });
    expect(!refused.ok && refused.error.message).toMatch(/held by images being served right now/);
    await body.cancel();
    await new Promise((r) => setTimeout(r, 100));
    ok(await prepare('pinned-b', b));
    const tooBig = diskBytes(2 * size, 7);
    const huge = await prepare('huge', tooBig);
    expect(huge).toMatchObject({ ok: false, error: { kind: 'capacity' } });
    expect(!huge.ok && huge.error.message).toMatch(/more than the whole image cache/);
  });

  it('keeps a prepared image for the agent that has yet to download it, then lets it go', async () => {
    const size = 256 * 1024;
    harness = await startHarness({
      INGOT_IMAGECACHE_BUDGET_BYTES: String(size + 1000),
      INGOT_IMAGECACHE_RESERVE_MS: '1500',
    });
    const [a, b] = [8, 9].map((seed) => diskBytes(size, seed)) as [Buffer, Buffer];
    const prepare = (name: string, bytes: Buffer) =>
      harness.send('image.prepare', {
        image_source: origin.serve(`/${name}`, bytes),
        checksum: sha('sha256', bytes),
      });
    const first = ok(await prepare('reserved-a', a));
    // No agent has fetched a yet: evicting it for b would fail the deploy that asked for it.
    const refused = await prepare('reserved-b', b);
    expect(refused).toMatchObject({ ok: false, error: { kind: 'capacity' } });
    expect(!refused.ok && refused.error.message).toMatch(/reserved for deploys under way/);
    expect(await statusOf(first.url)).toBe(200);
    await new Promise((r) => setTimeout(r, 1_700));
    ok(await prepare('reserved-b', b));
    expect(await statusOf(first.url)).toBe(404);
  });

  it('after a restart on the same directory, serves from the cache without downloading', async () => {
    harness = await startHarness();
    const path = '/restart.raw';
    const url = origin.serve(path, raw);
    const checksum = sha('sha256', raw);
    ok(await harness.send('image.prepare', { image_source: url, checksum }));
    await harness.restart();
    const again = ok(await harness.send('image.prepare', { image_source: url, checksum }));
    expect(again.url.startsWith(harness.cache.publicUrl)).toBe(true);
    expect(origin.count(path)).toBe(1);
    const served = Buffer.from(await (await fetch(again.url)).arrayBuffer());
    expect(served.equals(raw)).toBe(true);
  });

  it('drops an expired command without acting on it', async () => {
    harness = await startHarness();
    const path = '/expired.raw';
    const url = origin.serve(path, raw);
    await expect(
      harness.send(
        'image.prepare',
        { image_source: url, checksum: sha('sha256', raw) },
        { expiresInMs: -1000, timeoutMs: 1500 },
      ),
    ).rejects.toThrow(/no reply/);
    expect(origin.count(path)).toBe(0);
  });
});
