import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandMac, kernelParams, netboot } from '../src/ipxe-firmware.js';
import {
  ImageOrigin,
  ServerHost,
  scratchDir,
  startFleet,
  type Fleet,
  type HostEvents,
  type LabServer,
} from '../src/index.js';
import { drive, resetSystem } from './redfish-client.js';

/** Network boot once, then power on, as the conductor does for a node with boot_interface ipxe. */
async function powerOnFromNetwork(server: LabServer): Promise<void> {
  await drive(server, 'PATCH', server.systemPath, {
    Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' },
  });
  await resetSystem(server, 'On');
}

const hexhyp = (mac: string) => mac.replace(/:/g, '-');

describe('lab network boot (iPXE)', () => {
  let fleet: Fleet;
  let origin: ImageOrigin;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  /** Served by the origin: request path → file. Filled once the origin's URL is known. */
  const files: Record<string, string> = {};
  let bootScriptUrl: string;

  async function serve(path: string, body: string): Promise<void> {
    const file = join(scratch.path, path.replace(/\//g, '_'));
    await writeFile(file, body);
    files[path] = file;
  }

  /** The shape of the image cache's per-MAC agent script. */
  const agentScript = (kernel: string, initrd: string) =>
    [
      '#!ipxe',
      '# Ingot: boot node x into the deploy agent',
      ':deploy',
      'imgfree',
      `kernel --name agent.kernel ${origin.url}${kernel} initrd=agent.initrd ` +
        'ipa-api-url=http://127.0.0.1:9 ' +
        'ipa-inspection-callback-url=http://127.0.0.1:9/v1/continue_inspection ' +
        'BOOTIF=01-${mac:hexhyp} || goto retry',
      `initrd --name agent.initrd ${origin.url}${initrd} || goto retry`,
      'boot',
      ':retry',
      'echo Fetching the Ingot agent failed, retrying in 10 seconds',
      'sleep 10',
      'goto deploy',
      '',
    ].join('\n');

  beforeAll(async () => {
    scratch = await scratchDir();
    origin = await ImageOrigin.start(files);
    bootScriptUrl = `${origin.url}/ipxe/boot.ipxe`;
    await serve(
      '/ipxe/boot.ipxe',
      [
        '#!ipxe',
        `chain --autofree ${origin.url}/ipxe/\${mac:hexhyp}.ipxe || goto boot_local`,
        'exit',
        ':boot_local',
        'echo Could not fetch the Ingot boot script of ${mac}: booting the next device',
        'exit',
        '',
      ].join('\n'),
    );
    await serve('/agent/vmlinuz', 'not really a kernel');
    await serve('/agent/initramfs', 'not really an initrd');
    fleet = await startFleet({ count: 5 });
  });
  afterAll(async () => {
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  it('runs the agent with the kernel command line of its first NIC', async () => {
    const server = fleet.servers[0]!;
    const mac = server.macs[0];
    await serve(`/ipxe/${hexhyp(mac)}.ipxe`, agentScript('/agent/vmlinuz', '/agent/initramfs'));
    const host = await ServerHost.create(server, { workDir: scratch.path, pxe: { bootScriptUrl } });
    const pxe: HostEvents['pxe-boot'][0][] = [];
    host.on('pxe-boot', (event) => pxe.push(event));
    try {
      const started = once(host, 'agent-started');
      await powerOnFromNetwork(server);
      const [{ pid }] = (await started) as HostEvents['agent-started'];
      expect(pid).toBeGreaterThan(0);

      const dir = join(scratch.path, server.name);
      const cmdline = await readFile(join(dir, 'cmdline'), 'utf8');
      expect(cmdline).toBe(
        'initrd=agent.initrd ipa-api-url=http://127.0.0.1:9 ' +
          'ipa-inspection-callback-url=http://127.0.0.1:9/v1/continue_inspection ' +
          `BOOTIF=01-${hexhyp(mac)}\n`,
      );
      // Nothing of the virtual media path: the agent finds its node by MAC.
      const config = JSON.parse(await readFile(join(dir, 'agent.json'), 'utf8'));
      expect(config).toMatchObject({ platform: 'lab', listen_host: '127.0.0.1' });
      expect(config).not.toHaveProperty('api_url');
      expect(config).not.toHaveProperty('node_uuid');
      expect(config).not.toHaveProperty('agent_token');

      expect(pxe).toEqual([
        {
          mac,
          scripts: [bootScriptUrl, `${origin.url}/ipxe/${hexhyp(mac)}.ipxe`],
          outcome: 'agent',
          kernelParams: expect.objectContaining({ 'ipa-api-url': 'http://127.0.0.1:9' }),
        },
      ]);
      expect(origin.hits.get('/agent/vmlinuz')).toBeGreaterThanOrEqual(1);
      expect(origin.hits.get('/agent/initramfs')).toBeGreaterThanOrEqual(1);
      // The agent took its API from the command line: it is trying to look itself up there.
      await expect
        .poll(() => host.output(), { timeout: 10_000 })
        .toContain('kernel command line read');
    } finally {
      await host.stop();
    }
  });

  it('boots from disk when its script exits, or when it has none', async () => {
    const exiting = fleet.servers[1]!;
    await serve(
      `/ipxe/${hexhyp(exiting.macs[0])}.ipxe`,
      '#!ipxe\n# Ingot: no network boot: booting the next device\nexit\n',
    );
    const unknown = fleet.servers[2]!; // no script: the chain fails, boot.ipxe goes to boot_local
    for (const server of [exiting, unknown]) {
      const host = await ServerHost.create(server, {
        workDir: scratch.path,
        pxe: { bootScriptUrl },
      });
      const starts: number[] = [];
      host.on('agent-started', ({ pid }) => starts.push(pid));
      try {
        const booted = once(host, 'disk-boot');
        await powerOnFromNetwork(server);
        const [report] = (await booted) as HostEvents['disk-boot'];
        expect(report.partitions).toEqual([]);
        expect(starts).toEqual([]);
        expect(host.output()).toContain(`PXE boot of ${server.macs[0]}`);
        if (server === unknown) expect(host.output()).toContain('HTTP 404, and ');
      } finally {
        await host.stop();
      }
    }
  });

  it('boots from disk without a pxe option, and says why', async () => {
    const server = fleet.servers[3]!;
    const host = await ServerHost.create(server, { workDir: scratch.path });
    try {
      const booted = once(host, 'disk-boot');
      await powerOnFromNetwork(server);
      await booted;
      expect(host.output()).toContain('no DHCP answer');
    } finally {
      await host.stop();
    }
  });

  it('reports an agent kernel that does not download as a lab host error', async () => {
    const server = fleet.servers[4]!;
    await serve(
      `/ipxe/${hexhyp(server.macs[0])}.ipxe`,
      agentScript('/agent/missing', '/agent/initramfs'),
    );
    const host = await ServerHost.create(server, { workDir: scratch.path, pxe: { bootScriptUrl } });
    try {
      const exited = once(host, 'agent-exited');
      await powerOnFromNetwork(server);
      const [{ code, output }] = (await exited) as HostEvents['agent-exited'];
      expect(code).toBeNull();
      expect(output).toContain(
        `lab host error: ${server.name} network boot of ${server.macs[0]}: could not download the agent kernel ${origin.url}/agent/missing: HTTP 404`,
      );
    } finally {
      await host.stop();
    }
  });
});

describe('iPXE firmware', () => {
  it('expands the MAC variables and splits kernel parameters', () => {
    expect(
      expandMac('a/${mac:hexhyp}.ipxe ${mac} ${net0/mac:hexhyp} ${ip}', '52:54:00:aa:bb:01'),
    ).toBe('a/52-54-00-aa-bb-01.ipxe 52:54:00:aa:bb:01 52-54-00-aa-bb-01 ${ip}');
    expect(kernelParams(['initrd=a', 'quiet', 'url=http://h/?x=1'])).toEqual({
      initrd: 'a',
      quiet: '',
      url: 'http://h/?x=1',
    });
  });

  it('ends at the next device when the boot script cannot be fetched', async () => {
    const outcome = await netboot('http://127.0.0.1:9/boot.ipxe', '52:54:00:00:00:01');
    expect(outcome).toMatchObject({ kind: 'next-device', scripts: [] });
  });
});
