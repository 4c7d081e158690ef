import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { describeServer, startFleet, stopAll } from '../src/index.js';
import { call } from './redfish-client.js';

afterEach(stopAll);

describe('fleet', () => {
  it('starts N servers with distinct BMCs, identities and locally administered MACs', async () => {
    const fleet = await startFleet({ count: 3, password: 'fleet-secret' });
    expect(fleet.servers).toHaveLength(3);
    expect(new Set(fleet.servers.map((s) => s.url)).size).toBe(3);
    expect(new Set(fleet.servers.map((s) => s.uuid)).size).toBe(3);
    for (const server of fleet.servers) {
      for (const mac of server.macs) {
        expect(mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
      }
      const system = await call(server.bmc, 'GET', server.systemPath, {
        auth: [server.username, server.password],
      });
      expect(system.json).toMatchObject({ UUID: server.uuid, Name: server.name });
      expect(server.driverInfo).toMatchObject({
        redfish_address: server.url,
        redfish_system_id: server.systemPath,
      });
    }
  });

  it('derives the same identity and hardware profile from the same index', () => {
    expect(describeServer(7)).toEqual(describeServer(7));
    expect(describeServer(7).macs).toEqual(['52:54:00:00:07:01', '52:54:00:00:07:02']);
    expect(describeServer(1).profile.disks.length).toBeGreaterThan(0);
  });

  it('listens on consecutive ports from basePort', async () => {
    const basePort = await freePortPair();
    const fleet = await startFleet({ count: 2, basePort });
    expect(fleet.servers.map((s) => s.url)).toEqual([
      `http://127.0.0.1:${basePort}`,
      `http://127.0.0.1:${basePort + 1}`,
    ]);
  });

  it('serves every BMC over TLS and applies the delays to each', async () => {
    const fleet = await startFleet({ count: 2, tls: true, responseDelayMs: 100 });
    for (const server of fleet.servers) {
      expect(server.url.startsWith('https://')).toBe(true);
      expect(server.driverInfo.redfish_verify_ca).toBe(false);
      const started = performance.now();
      expect((await call(server.bmc, 'GET', '/redfish/v1')).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    }
  });

  it('stops its listeners, so the ports refuse connections afterwards', async () => {
    const fleet = await startFleet({ count: 1 });
    const [server] = fleet.servers;
    await fleet.stop();
    await expect(call(server!.bmc, 'GET', '/redfish/v1')).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});

/** A port P such that P and P+1 are free right now. */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await isFree(port)) && (await isFree(port + 1))) return port;
  }
  throw new Error('no two consecutive free ports found');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
