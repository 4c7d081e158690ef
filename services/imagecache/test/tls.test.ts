import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIsoFile } from '@ingot/media';
import { labCertificate, type TlsMaterial } from '@ingot/lab';
import { imageCacheConfigFromEnv } from '../src/index.js';
import { diskBytes, ok, Origin, sha, startHarness, type Harness } from './harness.js';

/** A GET over HTTPS trusting only `ca`: status and body. */
function getTrusting(url: string, ca: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('the image cache over HTTPS', () => {
  let dir: string;
  let tls: TlsMaterial;
  let origin: Origin;
  let harness: Harness;
  const agentCa = '-----BEGIN CERTIFICATE-----\n(the CA agents trust)\n-----END CERTIFICATE-----\n';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imagecache-tls-'));
    tls = await labCertificate();
    await writeFile(join(dir, 'cache.crt'), tls.cert);
    await writeFile(join(dir, 'cache.key'), tls.key, { mode: 0o600 });
    // A real bundle would be the CA of the API's and this cache's certificates; the ISO
    // carries whatever the operator names, byte for byte.
    await writeFile(join(dir, 'agent-ca.pem'), agentCa);
    origin = await Origin.start();
    harness = await startHarness({
      INGOT_IMAGECACHE_TLS_CERT_FILE: join(dir, 'cache.crt'),
      INGOT_IMAGECACHE_TLS_KEY_FILE: join(dir, 'cache.key'),
      INGOT_IMAGECACHE_HTTP_PORT: '0',
      INGOT_AGENT_CA_FILE: join(dir, 'agent-ca.pem'),
    });
  });
  afterAll(async () => {
    await harness?.close();
    await origin?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves prepared images to agents at an https URL, verified against its certificate', async () => {
    const raw = diskBytes(256 * 1024, 3);
    const url = origin.serve('/tls.raw', raw);
    const image = ok(
      await harness.send('image.prepare', { image_source: url, checksum: sha('sha256', raw) }),
    );
    expect(harness.cache.publicUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(image.url).toMatch(new RegExp(`^${harness.cache.publicUrl}/images/[0-9a-f]{64}\\.raw$`));
    const served = await getTrusting(image.url, tls.cert);
    expect(served.status).toBe(200);
    expect(served.body.equals(raw)).toBe(true);
    // HTTPS only on that port, and a client that does not trust the certificate is refused.
    await expect(fetch(image.url.replace(/^https:/, 'http:'))).rejects.toThrow();
    await expect(fetch(image.url)).rejects.toThrow();
  });

  it('hands BMCs boot ISOs on the plain listener, each carrying the agent CA named by its agent.json', async () => {
    const iso = ok(
      await harness.send(
        'image.boot_iso',
        { agent_config: { api_url: 'https://127.0.0.1:6385', node_uuid: 'node-7' } },
        { node: 'node-7' },
      ),
    );
    expect(harness.cache.bmcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(iso.url.startsWith(`${harness.cache.bmcUrl}/boot/node-7-`)).toBe(true);
    const bytes = Buffer.from(await (await fetch(iso.url)).arrayBuffer());
    expect(sha('sha256', bytes)).toBe(iso.sha256);
    expect(JSON.parse((await readIsoFile(bytes, 'ingot/agent.json')).toString())).toEqual({
      api_url: 'https://127.0.0.1:6385',
      node_uuid: 'node-7',
      ca_file: 'ca.crt',
    });
    expect((await readIsoFile(bytes, 'ingot/ca.crt')).toString()).toBe(agentCa);
    // The same bytes over HTTPS.
    const overTls = await getTrusting(
      iso.url.replace(harness.cache.bmcUrl, harness.cache.publicUrl),
      tls.cert,
    );
    expect(overTls.body.equals(bytes)).toBe(true);
  });
});

describe('image cache TLS settings', () => {
  it('take both files or neither, a plain port only beside HTTPS, and a CA file holding a certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imagecache-tls-config-'));
    try {
      const cert = join(dir, 'c.pem');
      await writeFile(cert, (await labCertificate()).cert);
      expect(() => imageCacheConfigFromEnv({ INGOT_IMAGECACHE_TLS_CERT_FILE: cert })).toThrow(
        'INGOT_IMAGECACHE_TLS_CERT_FILE and INGOT_IMAGECACHE_TLS_KEY_FILE go together: set both',
      );
      expect(() =>
        imageCacheConfigFromEnv({
          INGOT_IMAGECACHE_TLS_CERT_FILE: cert,
          INGOT_IMAGECACHE_TLS_KEY_FILE: join(dir, 'missing.key'),
        }),
      ).toThrow(/^INGOT_IMAGECACHE_TLS_KEY_FILE .*missing\.key cannot be read/);
      expect(() => imageCacheConfigFromEnv({ INGOT_IMAGECACHE_HTTP_PORT: '8081' })).toThrow(
        /INGOT_IMAGECACHE_HTTP_PORT is a plain HTTP listener beside HTTPS/,
      );
      await writeFile(join(dir, 'empty.pem'), 'nothing');
      expect(() =>
        imageCacheConfigFromEnv({ INGOT_AGENT_CA_FILE: join(dir, 'empty.pem') }),
      ).toThrow(/INGOT_AGENT_CA_FILE .*empty\.pem holds no PEM certificate/);
      expect(imageCacheConfigFromEnv({ INGOT_AGENT_CA_FILE: cert }).agentCa).toMatch(
        /^-----BEGIN CERTIFICATE-----/,
      );
      expect(imageCacheConfigFromEnv({})).toMatchObject({
        tls: undefined,
        httpPort: undefined,
        agentCa: undefined,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
