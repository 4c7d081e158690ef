import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIso } from '@ingot/media';
import {
  ImageOrigin,
  ServerHost,
  scratchDir,
  startFleet,
  waitFor,
  type Fleet,
  type LabServer,
} from '../src/index.js';
import { call, drive, resetSystem } from './redfish-client.js';

async function managerOf(server: LabServer): Promise<string> {
  const res = await call(server.bmc, 'GET', '/redfish/v1/Managers', {
    auth: [server.username, server.password],
  });
  const members = res.json?.Members as Array<{ '@odata.id': string }>;
  return members[0]!['@odata.id'];
}

async function bootFromCdOnce(server: LabServer, isoUrl: string): Promise<void> {
  const manager = await managerOf(server);
  await drive(server, 'POST', `${manager}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`, {
    Image: isoUrl,
  });
  await drive(server, 'PATCH', server.systemPath, {
    Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Once' },
  });
}

describe('lab server host', () => {
  let fleet: Fleet;
  let origin: ImageOrigin;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let isoUrl: string;
  let iso: Buffer;

  beforeAll(async () => {
    scratch = await scratchDir();
    // The agent looks itself up at an API nobody serves: it only has to start.
    iso = await buildIso({
      volumeId: 'INGOT_AGENT',
      files: {
        'ingot/agent.json': JSON.stringify({
          api_url: 'http://127.0.0.1:9',
          node_uuid: '00000000-0000-4000-8000-000000000001',
          agent_token: 'x'.repeat(43),
        }),
      },
    });
    const isoPath = join(scratch.path, 'boot.iso');
    await writeFile(isoPath, iso);
    origin = await ImageOrigin.start({ '/boot.iso': isoPath });
    isoUrl = `${origin.url}/boot.iso`;
    fleet = await startFleet({ count: 4 });
  });
  afterAll(async () => {
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  it('starts the agent from virtual media only after the firmware boot delay', async () => {
    const server = fleet.servers[0]!;
    const host = await ServerHost.create(server, { workDir: scratch.path, bootDelayMs: 400 });
    try {
      await bootFromCdOnce(server, isoUrl);
      const poweredAt = Date.now();
      const started = once(host, 'agent-started');
      await resetSystem(server, 'On');
      await started;
      expect(Date.now() - poweredAt).toBeGreaterThanOrEqual(400);
      expect(server.bmc.state.power).toBe('On');
    } finally {
      await host.stop();
    }
  });

  it('a power-off during the boot delay supersedes the boot: no agent runs on a dark machine', async () => {
    const server = fleet.servers[1]!;
    const host = await ServerHost.create(server, { workDir: scratch.path, bootDelayMs: 300 });
    const starts: number[] = [];
    host.on('agent-started', ({ pid }) => starts.push(pid));
    try {
      await bootFromCdOnce(server, isoUrl);
      await resetSystem(server, 'On');
      await resetSystem(server, 'ForceOff');
      await waitFor('the lab server to be off', async () => server.bmc.state.power === 'Off');
      // Well past the boot delay and the ISO read: the superseded boot never starts an agent.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(starts).toEqual([]);
    } finally {
      await host.stop();
    }
  });

  it('reports what it finds on its disks when it boots from them', async () => {
    const server = fleet.servers[2]!;
    const host = await ServerHost.create(server, { workDir: scratch.path });
    try {
      const booted = once(host, 'disk-boot');
      await resetSystem(server, 'On');
      const [report] = await booted;
      expect(report.partitions).toEqual([]);
    } finally {
      await host.stop();
    }
  });

  it('reads its boot ISO again when the connection breaks, as a BMC does', async () => {
    const server = fleet.servers[3]!;
    let requests = 0;
    // The first request's connection is dropped (as a keep-alive connection the server closed
    // while the client reused it), the second is served.
    const flaky = createServer((req, res) => {
      if (++requests === 1) return void req.socket.destroy();
      res.writeHead(200, { 'content-length': iso.length }).end(iso);
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/boot.iso`;
    const host = await ServerHost.create(server, { workDir: scratch.path });
    try {
      await bootFromCdOnce(server, url);
      const started = once(host, 'agent-started');
      await resetSystem(server, 'On');
      await started;
      expect(requests).toBe(2);
      expect(host.output()).toMatch(
        /reading the boot ISO failed \(fetch failed: .+\), trying again/,
      );
    } finally {
      await host.stop();
      flaky.closeAllConnections();
      await new Promise((resolve) => flaky.close(resolve));
    }
  });
});
