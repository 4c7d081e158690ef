import { describe, expect, it } from 'vitest';
import { imageCacheConfigFromEnv } from '../src/index.js';

describe('imageCacheConfigFromEnv', () => {
  it('has laptop defaults', () => {
    expect(imageCacheConfigFromEnv({})).toMatchObject({
      site: '',
      dir: './.imagecache',
      budgetBytes: 20 * 1024 ** 3,
      host: '127.0.0.1',
      port: 8080,
      publicUrl: undefined,
      allowMd5: false,
      bus: { servers: 'nats://127.0.0.1:4222', prefix: 'ingot' },
      ipxe: { kernelUrl: undefined, initrdUrl: undefined, apiUrl: 'http://127.0.0.1:6385' },
    });
  });

  it('reads and checks the environment', () => {
    const config = imageCacheConfigFromEnv({
      INGOT_SITE: 'rack-1',
      INGOT_IMAGECACHE_PUBLIC_URL: 'http://10.0.0.5:8080/',
      INGOT_ALLOW_MD5: 'yes',
      INGOT_IMAGECACHE_BUDGET_BYTES: '1000',
    });
    expect(config).toMatchObject({
      site: 'rack-1',
      publicUrl: 'http://10.0.0.5:8080',
      allowMd5: true,
      budgetBytes: 1000,
    });
    expect(() => imageCacheConfigFromEnv({ INGOT_SITE: 'a.b' })).toThrow(/INGOT_SITE/);
    expect(() => imageCacheConfigFromEnv({ INGOT_IMAGECACHE_BUDGET_BYTES: '-1' })).toThrow(
      /at least 1/,
    );
    expect(() => imageCacheConfigFromEnv({ INGOT_IMAGECACHE_PORT: '70000' })).toThrow(/TCP port/);
    expect(() => imageCacheConfigFromEnv({ INGOT_ALLOW_MD5: 'maybe' })).toThrow(/true or false/);
    expect(() => imageCacheConfigFromEnv({ INGOT_IMAGECACHE_PUBLIC_URL: 'ftp://x' })).toThrow(
      /http\(s\) URL/,
    );
  });

  it('reads the agent ramdisk (both paths or neither) and the BMC URL', () => {
    expect(imageCacheConfigFromEnv({})).toMatchObject({ ramdisk: undefined, bmcUrl: undefined });
    expect(
      imageCacheConfigFromEnv({
        INGOT_AGENT_KERNEL: 'r/agent.kernel',
        INGOT_AGENT_INITRAMFS: 'r/agent.initramfs',
        INGOT_IMAGECACHE_BMC_URL: 'http://127.0.0.1:8080/',
      }),
    ).toMatchObject({
      ramdisk: { kernel: 'r/agent.kernel', initramfs: 'r/agent.initramfs' },
      bmcUrl: 'http://127.0.0.1:8080',
    });
    expect(() => imageCacheConfigFromEnv({ INGOT_AGENT_KERNEL: 'k' })).toThrow(
      /INGOT_AGENT_INITRAMFS/,
    );
    expect(() => imageCacheConfigFromEnv({ INGOT_IMAGECACHE_BMC_URL: 'ftp://x' })).toThrow(
      /INGOT_IMAGECACHE_BMC_URL/,
    );
  });
});
