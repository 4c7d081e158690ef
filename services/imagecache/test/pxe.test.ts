import { randomUUID } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, sha, startHarness, type Harness } from './harness.js';

const KERNEL = 'http://127.0.0.1:8080/agent/vmlinuz';
const INITRD = 'http://127.0.0.1:8080/agent/initramfs';
const PARAMS = {
  'ipa-api-url': 'http://127.0.0.1:6385',
  'ipa-inspection-callback-url': 'http://127.0.0.1:6385/v1/continue_inspection',
  'ipa-debug': '1',
};

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({
    INGOT_IPXE_KERNEL_URL: KERNEL,
    INGOT_IPXE_INITRD_URL: INITRD,
    INGOT_API_PUBLIC_URL: 'http://127.0.0.1:6399',
  });
});
afterAll(async () => {
  await harness?.close();
});

const script = async (path: string) => {
  const res = await fetch(`${harness.cache.publicUrl}${path}`);
  return { status: res.status, cache: res.headers.get('cache-control'), body: await res.text() };
};

const nextDevice = (mac: string) =>
  `#!ipxe\n# Ingot: no network boot for ${mac}: booting the next device\nexit\n`;

describe('network boot (iPXE)', () => {
  it('serves boot.ipxe, which chains to the script of the MAC iPXE booted from', async () => {
    const boot = await script('/ipxe/boot.ipxe');
    expect(boot.status).toBe(200);
    expect(boot.cache).toBe('no-store');
    expect(boot.body).toBe(
      [
        '#!ipxe',
        '# Ingot: every NIC has its own script, named after its MAC',
        `chain --autofree ${harness.cache.publicUrl}/ipxe/\${mac:hexhyp}.ipxe || goto boot_local`,
        'exit',
        ':boot_local',
        'echo Could not fetch the Ingot boot script of ${mac}: booting the next device',
        'exit',
        '',
      ].join('\n'),
    );
  });

  it('boots the next device for a MAC with no config', async () => {
    const answer = await script('/ipxe/52-54-00-00-09-01.ipxe');
    expect(answer).toEqual({
      status: 200,
      cache: 'no-store',
      body: nextDevice('52:54:00:00:09:01'),
    });
    // Upper case, as some firmware writes it, is the same MAC.
    expect((await script('/ipxe/52-54-00-00-09-0A.ipxe')).body).toBe(
      nextDevice('52:54:00:00:09:0a'),
    );
    for (const path of ['/ipxe/node-7.ipxe', '/ipxe/52:54:00:00:09:01.ipxe', '/ipxe/52-54-00.ipxe'])
      expect((await script(path)).status, path).toBe(404);
  });

  it('serves the agent script to every MAC of a config, until it is cleared', async () => {
    const macs = ['52:54:00:00:01:01', '52:54:00:00:01:02'];
    const reply = ok(
      await harness.send(
        'image.pxe_config',
        { macs, kernel_params: PARAMS },
        { node: 'node-pxe-1' },
      ),
    );
    expect(reply.disk_format).toBe('ipxe');
    expect(reply.url).toBe(`${harness.cache.publicUrl}/ipxe/52-54-00-00-01-01.ipxe`);

    const first = await script('/ipxe/52-54-00-00-01-01.ipxe');
    expect(first.status).toBe(200);
    expect(first.cache).toBe('no-store');
    expect(Buffer.byteLength(first.body)).toBe(reply.size);
    expect(sha('sha256', Buffer.from(first.body))).toBe(reply.sha256);
    expect(first.body).toBe(
      [
        '#!ipxe',
        '# Ingot: boot node node-pxe-1 into the deploy agent (NIC 52:54:00:00:01:01)',
        ':deploy',
        'imgfree',
        `kernel --name agent.kernel ${KERNEL} initrd=agent.initrd ipa-api-url=http://127.0.0.1:6385 ` +
          'ipa-inspection-callback-url=http://127.0.0.1:6385/v1/continue_inspection ipa-debug=1 ' +
          'BOOTIF=01-${mac:hexhyp} console=tty0 console=ttyS0,115200 || goto retry',
        `initrd --name agent.initrd ${INITRD} || goto retry`,
        'boot',
        ':retry',
        'echo Fetching the Ingot agent failed, retrying in 10 seconds',
        'sleep 10',
        'goto deploy',
        '',
      ].join('\n'),
    );
    const second = await script('/ipxe/52-54-00-00-01-02.ipxe');
    expect(second.body).toContain('(NIC 52:54:00:00:01:02)');
    expect(second.body).toContain('ipa-api-url=http://127.0.0.1:6385 ');

    const cleared = ok(await harness.send('image.pxe_clear', { macs }, { node: 'node-pxe-1' }));
    expect(cleared).toMatchObject({ url: '', size: 0, disk_format: 'none' });
    expect(cleared.sha256).toBe(sha('sha256', Buffer.alloc(0)));
    for (const mac of macs)
      expect((await script(`/ipxe/${mac.replace(/:/g, '-')}.ipxe`)).body).toBe(nextDevice(mac));
    expect(await readdir(join(harness.config.dir, 'pxe'))).toEqual([]);
  });

  it('puts the default ipa-api-url (INGOT_API_PUBLIC_URL) when the config has none', async () => {
    ok(
      await harness.send('image.pxe_config', {
        macs: ['52:54:00:00:02:01'],
        kernel_params: { 'ipa-debug': '1' },
      }),
    );
    const { body } = await script('/ipxe/52-54-00-00-02-01.ipxe');
    expect(body).toContain(
      `${KERNEL} initrd=agent.initrd ipa-api-url=http://127.0.0.1:6399 ipa-debug=1 BOOTIF=`,
    );
  });

  it("appends the node's kernel_append_params after the console args, and refuses unsafe ones", async () => {
    ok(
      await harness.send('image.pxe_config', {
        macs: ['52:54:00:00:02:02'],
        kernel_params: {},
        kernel_append: 'ipa-advertise-host=127.0.0.1 ipa-advertise-port=5000 nomodeset',
      }),
    );
    const { body } = await script('/ipxe/52-54-00-00-02-02.ipxe');
    expect(body).toContain(
      'BOOTIF=01-${mac:hexhyp} console=tty0 console=ttyS0,115200 ipa-advertise-host=127.0.0.1 ipa-advertise-port=5000 nomodeset || goto retry',
    );
    expect(
      await harness.send('image.pxe_config', {
        macs: ['52:54:00:00:02:03'],
        kernel_params: {},
        kernel_append: 'a=1; chain http://evil',
      }),
    ).toMatchObject({ ok: false, error: { kind: 'invalid' } });
  });

  it('keeps the configs across a restart, and a new config replaces the old one', async () => {
    const mac = '52:54:00:00:03:01';
    ok(
      await harness.send(
        'image.pxe_config',
        { macs: [mac], kernel_params: PARAMS },
        { node: 'node-pxe-3' },
      ),
    );
    const replaced = ok(
      await harness.send(
        'image.pxe_config',
        { macs: [mac], kernel_params: { ...PARAMS, 'ipa-debug': '0' } },
        { node: 'node-pxe-3' },
      ),
    );
    // A write interrupted by a crash is discarded at start.
    await writeFile(join(harness.config.dir, 'pxe', '.52-54-00-00-03-01.0000.tmp'), '{"mac');
    await harness.restart();
    const after = await script('/ipxe/52-54-00-00-03-01.ipxe');
    expect(after.body).toContain('ipa-debug=0 BOOTIF=01-${mac:hexhyp}');
    expect(after.body).not.toContain('ipa-debug=1');
    expect(sha('sha256', Buffer.from(after.body))).toBe(replaced.sha256);
    expect(await readdir(join(harness.config.dir, 'pxe'))).not.toContain(
      '.52-54-00-00-03-01.0000.tmp',
    );
    ok(await harness.send('image.pxe_clear', { macs: [mac] }));
    await harness.restart();
    expect((await script('/ipxe/52-54-00-00-03-01.ipxe')).body).toBe(nextDevice(mac));
  });

  it('refuses kernel parameter values an iPXE command line would split or interpret', async () => {
    const mac = '52:54:00:00:04:01';
    for (const value of [
      'a b',
      'x\nreboot',
      '${net0/ip}',
      "it's",
      'say"hi"',
      '`id`',
      'a;b',
      'a|b',
      'http://h/?a=1&b=2',
      'a#b',
    ]) {
      const reply = await harness.send('image.pxe_config', {
        macs: [mac],
        kernel_params: { 'ipa-api-url': value },
      });
      expect(reply, JSON.stringify(value)).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    }
    expect(
      await harness.send('image.pxe_config', { macs: [mac], kernel_params: { BOOTIF: '01-aa' } }),
    ).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    // Nothing was stored by the refused commands.
    expect((await script('/ipxe/52-54-00-00-04-01.ipxe')).body).toBe(nextDevice(mac));
  });
});

describe('network boot without the agent kernel and initrd', () => {
  it('refuses a config, naming the variables to set', async () => {
    const bare = await startHarness();
    try {
      const reply = await bare.send('image.pxe_config', {
        macs: ['52:54:00:00:05:01'],
        kernel_params: PARAMS,
      });
      if (reply.ok) throw new Error('expected a refusal');
      expect(reply.error.kind).toBe('pxe');
      expect(reply.error.message).toContain('INGOT_IPXE_KERNEL_URL');
      expect(reply.error.message).toContain('INGOT_IPXE_INITRD_URL');
      const res = await fetch(`${bare.cache.publicUrl}/ipxe/52-54-00-00-05-01.ipxe`);
      expect(await res.text()).toBe(nextDevice('52:54:00:00:05:01'));
      // Clearing needs no kernel: it is how a node leaves network boot.
      expect(ok(await bare.send('image.pxe_clear', { macs: ['52:54:00:00:05:01'] })).url).toBe('');
    } finally {
      await bare.close();
    }
  });

  it('a config delivered again after it was cleared is not carried out again, even after a restart', async () => {
    const macs = ['52:54:00:00:07:01'];
    const id = randomUUID();
    const first = ok(
      await harness.send('image.pxe_config', { macs, kernel_params: PARAMS }, { node: 'n-7', id }),
    );
    ok(await harness.send('image.pxe_clear', { macs }, { node: 'n-7' }));
    expect((await script('/ipxe/52-54-00-00-07-01.ipxe')).body).toBe(nextDevice(macs[0]!));

    // The config comes back (its acknowledgement was lost): answered as the first time, no change.
    const again = ok(
      await harness.send('image.pxe_config', { macs, kernel_params: PARAMS }, { node: 'n-7', id }),
    );
    expect(again).toEqual(first);
    expect((await script('/ipxe/52-54-00-00-07-01.ipxe')).body).toBe(nextDevice(macs[0]!));

    await harness.restart();
    ok(
      await harness.send('image.pxe_config', { macs, kernel_params: PARAMS }, { node: 'n-7', id }),
    );
    expect((await script('/ipxe/52-54-00-00-07-01.ipxe')).body).toBe(nextDevice(macs[0]!));
    // A new command is carried out as ever.
    ok(await harness.send('image.pxe_config', { macs, kernel_params: PARAMS }, { node: 'n-7' }));
    expect((await script('/ipxe/52-54-00-00-07-01.ipxe')).body).toMatch(/^#!ipxe/);
    expect((await script('/ipxe/52-54-00-00-07-01.ipxe')).body).not.toBe(nextDevice(macs[0]!));
  });
});
