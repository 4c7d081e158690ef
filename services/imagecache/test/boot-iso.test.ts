import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ISO_KERNEL_PATH, readIsoFile } from '@ingot/media';
import { ok, sha, startHarness, statusOf, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('image.boot_iso', () => {
  it("builds an ISO carrying agent.json and replaces the node's previous one", async () => {
    const h = (harness = await startHarness());
    const config = {
      api_url: 'http://127.0.0.1:6385',
      node_uuid: 'node-9',
      agent_token: 'secret-1',
    };
    const first = ok(await h.send('image.boot_iso', { agent_config: config }, { node: 'node-9' }));
    expect(first.disk_format).toBe('iso');
    expect(first.url).toMatch(new RegExp(`^${h.cache.publicUrl}/boot/node-9-[0-9a-f]{16}\\.iso$`));
    const iso = Buffer.from(await (await fetch(first.url)).arrayBuffer());
    expect(iso.length).toBe(first.size);
    expect(sha('sha256', iso)).toBe(first.sha256);
    expect(JSON.parse((await readIsoFile(iso, 'ingot/agent.json')).toString())).toEqual(config);
    const head = await fetch(first.url, { method: 'HEAD' });
    expect(head.headers.get('cache-control')).toBe('no-store');

    const second = ok(
      await h.send(
        'image.boot_iso',
        { agent_config: { ...config, agent_token: 'secret-2' } },
        { node: 'node-9' },
      ),
    );
    expect(second.url).not.toBe(first.url);
    expect(await statusOf(first.url)).toBe(404);
    const files = await readdir(join(h.config.dir, 'boot'));
    // Per node only its config is stored; the ISO bytes come from the shared base.
    expect(files).toEqual([
      second.url
        .split('/')
        .pop()
        ?.replace(/\.iso$/, '.json'),
    ]);
    const secondIso = Buffer.from(await (await fetch(second.url)).arrayBuffer());
    expect(
      JSON.parse((await readIsoFile(secondIso, 'ingot/agent.json')).toString()).agent_token,
    ).toBe('secret-2');

    // Kept across a restart, still only at its unguessable name.
    await h.restart();
    const after = second.url.replace(/^http:\/\/[^/]+/, h.cache.publicUrl);
    expect(await statusOf(after)).toBe(200);
  });

  it('refuses a node uuid that cannot name a file', async () => {
    const h = (harness = await startHarness());
    expect(await h.send('image.boot_iso', { agent_config: {} }, { node: '../etc' })).toMatchObject({
      ok: false,
      error: { kind: 'invalid' },
    });
  });

  it('rebuilds the base ISO when the ramdisk changes, and keeps one base', async () => {
    const files = await mkdtemp(join(tmpdir(), 'ramdisk-test-'));
    const kernel = join(files, 'agent.kernel');
    const initramfs = join(files, 'agent.initramfs');
    await writeFile(kernel, 'kernel one');
    await writeFile(initramfs, 'initramfs one');
    try {
      const h = (harness = await startHarness({
        INGOT_AGENT_KERNEL: kernel,
        INGOT_AGENT_INITRAMFS: initramfs,
      }));
      const kernelUrl = `${h.cache.publicUrl}/agent/agent.kernel`;
      expect(await (await fetch(kernelUrl)).text()).toBe('kernel one');
      const first = ok(await h.send('image.boot_iso', { agent_config: { a: 1 } }, { node: 'n-1' }));

      // Replaced as the ramdisk script does: a new file under the same name.
      await writeFile(`${kernel}.new`, 'kernel two');
      await rename(`${kernel}.new`, kernel);
      const second = ok(
        await h.send('image.boot_iso', { agent_config: { a: 2 } }, { node: 'n-2' }),
      );
      expect(await (await fetch(kernelUrl)).text()).toBe('kernel two');
      for (const url of [first.url, second.url]) {
        const iso = Buffer.from(await (await fetch(url)).arrayBuffer());
        expect((await readIsoFile(iso, ISO_KERNEL_PATH)).toString()).toBe('kernel two');
      }
      const head = await fetch(first.url, { method: 'HEAD' });
      expect(head.headers.get('etag')).not.toBe(`"${first.sha256}"`);
      expect(await readdir(join(h.config.dir, 'boot-base'))).toHaveLength(1);
    } finally {
      await rm(files, { recursive: true, force: true });
    }
  });
});
