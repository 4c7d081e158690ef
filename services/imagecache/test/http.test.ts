import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diskBytes, ok, Origin, sha, startHarness, statusOf, type Harness } from './harness.js';

let origin: Origin;
let harness: Harness;
const raw = diskBytes(64 * 1024, 9);
let url: string;

beforeAll(async () => {
  origin = await Origin.start();
  harness = await startHarness({
    INGOT_IPXE_KERNEL_URL: 'http://127.0.0.1:8080/agent/vmlinuz',
    INGOT_IPXE_INITRD_URL: 'http://127.0.0.1:8080/agent/initramfs',
    INGOT_API_PUBLIC_URL: 'http://127.0.0.1:6385',
  });
  const reply = ok(
    await harness.send('image.prepare', {
      image_source: origin.serve('/h.raw', raw),
      checksum: sha('sha256', raw),
    }),
  );
  url = reply.url;
});
afterAll(async () => {
  await harness.close();
  await origin.close();
});

const get = (headers: Record<string, string> = {}, method = 'GET', target = url) =>
  fetch(target, { method, headers });
const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

describe('image server', () => {
  it('serves the whole image with validators and range support', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('etag')).toBe(`"${sha('sha256', raw)}"`);
    expect(res.headers.get('content-length')).toBe(String(raw.length));
    expect(Date.parse(res.headers.get('last-modified')!)).toBeGreaterThan(0);
    expect((await bytes(res)).equals(raw)).toBe(true);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await get({}, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(raw.length));
    expect((await bytes(res)).length).toBe(0);
  });

  it('serves single byte ranges with 206 and refuses unsatisfiable ones with 416', async () => {
    const part = await get({ range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${raw.length}`);
    expect((await bytes(part)).equals(raw.subarray(100, 200))).toBe(true);

    const tail = await get({ range: 'bytes=-10' });
    expect(tail.status).toBe(206);
    expect((await bytes(tail)).equals(raw.subarray(raw.length - 10))).toBe(true);

    const open = await get({ range: `bytes=${raw.length - 5}-` });
    expect(open.headers.get('content-range')).toBe(
      `bytes ${raw.length - 5}-${raw.length - 1}/${raw.length}`,
    );
    expect((await bytes(open)).length).toBe(5);

    const beyond = await get({ range: `bytes=${raw.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${raw.length}`);
    await beyond.arrayBuffer();

    // Several ranges are not supported: the whole image comes back.
    const multi = await get({ range: 'bytes=0-1,5-6' });
    expect(multi.status).toBe(200);
    expect((await bytes(multi)).length).toBe(raw.length);
  });

  it('answers conditional requests with 304 and honours If-Range', async () => {
    const etag = `"${sha('sha256', raw)}"`;
    const first = await get();
    const lastModified = first.headers.get('last-modified')!;
    await first.arrayBuffer();

    const unchanged = await get({ 'if-none-match': etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('etag')).toBe(etag);
    expect((await get({ 'if-none-match': '"other"' })).status).toBe(200);
    expect((await get({ 'if-modified-since': lastModified })).status).toBe(304);
    expect((await get({ 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status).toBe(200);

    const sameCopy = await get({ range: 'bytes=0-9', 'if-range': etag });
    expect(sameCopy.status).toBe(206);
    await sameCopy.arrayBuffer();
    const otherCopy = await get({ range: 'bytes=0-9', 'if-range': '"stale"' });
    expect(otherCopy.status).toBe(200);
    expect((await bytes(otherCopy)).length).toBe(raw.length);
    expect((await get({ range: 'bytes=0-9', 'if-range': lastModified })).status).toBe(206);
  });

  it('answers 404 for unknown files and anything outside its routes, 405 for other methods', async () => {
    const base = harness.cache.publicUrl;
    for (const path of [
      `/images/${'0'.repeat(64)}.raw`,
      '/images/',
      '/images/..%2Findex.json',
      '/index.json',
      '/boot/node-1-0123456789abcdef.iso',
      '/boot/',
    ])
      expect(await statusOf(`${base}${path}`), path).toBe(404);
    expect((await get({}, 'DELETE')).status).toBe(405);
  });

  it('serves iPXE scripts, /healthz and /metrics', async () => {
    const base = harness.cache.publicUrl;
    const boot = await fetch(`${base}/ipxe/boot.ipxe`);
    expect(boot.status).toBe(200);
    expect(await boot.text()).toContain(`chain --autofree ${base}/ipxe/\${mac:hexhyp}.ipxe`);
    const script = await fetch(`${base}/ipxe/52-54-00-00-00-07.ipxe`);
    expect(script.status).toBe(200);
    const body = await script.text();
    expect(body.startsWith('#!ipxe\n')).toBe(true);
    expect(body).toContain('\nexit\n');
    expect(body).not.toContain('/boot/');
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('ingot_imagecache_downloads_total{outcome="ok"}');
    expect(metrics).toMatch(/ingot_imagecache_served_bytes_total\{kind="image"\} [1-9]/);
    expect(metrics).toMatch(/ingot_imagecache_size_bytes [1-9]/);
  });
});
