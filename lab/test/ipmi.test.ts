import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RedfishBmc,
  startFleet,
  startIpmiBridge,
  stopAll,
  waitFor,
  type FleetOptions,
  type IpmiBridge,
  type IpmiEndpoint,
  type LabServer,
  type PowerChange,
} from '../src/index.js';
import { admin, call } from './redfish-client.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  await stopAll();
});

interface IpmitoolResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the real ipmitool against an endpoint, the password in IPMI_PASSWORD (-E), one second per
 * try and one retry so that a failure is quick. Asynchronous on purpose: the lab BMC that answers
 * the bridge's Redfish calls runs in this process, so a synchronous call would starve it.
 */
function ipmitool(
  endpoint: IpmiEndpoint,
  args: string[],
  as: { username?: string; password?: string } = {},
): Promise<IpmitoolResult> {
  const started = performance.now();
  const argv = ['-I', 'lanplus', '-H', endpoint.host, '-p', String(endpoint.port)];
  argv.push('-U', as.username ?? endpoint.username, '-E', '-N', '1', '-R', '1', ...args);
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/ipmitool',
      argv,
      { env: { PATH: '/usr/bin:/bin', IPMI_PASSWORD: as.password ?? endpoint.password } },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
          stdout,
          stderr,
          ms: performance.now() - started,
        }),
    );
  });
}

/** ipmitool that must succeed; returns its standard output. */
async function ok(endpoint: IpmiEndpoint, ...args: string[]): Promise<string> {
  const result = await ipmitool(endpoint, args);
  expect(result.code, `ipmitool ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

const endpointOf = (server: LabServer): IpmiEndpoint => ({
  host: server.ipmi!.host,
  port: server.ipmi!.port,
  username: server.username,
  password: server.password,
});

async function ipmiFleet(count = 1, extra: Partial<FleetOptions> = {}) {
  const fleet = await startFleet({ count, ipmi: true, password: 'ipmi-secret', ...extra });
  return { fleet, servers: fleet.servers, endpoints: fleet.servers.map(endpointOf) };
}

const redfishReset = (server: LabServer, ResetType: string) =>
  call(server.bmc, 'POST', `${server.systemPath}/Actions/ComputerSystem.Reset`, {
    auth: admin(server.bmc),
    body: { ResetType },
  });

describe('IPMI endpoints of a fleet', () => {
  it('gives each server its own endpoint with ready-made ipmi driver_info', async () => {
    const { fleet, servers } = await ipmiFleet(2);
    expect(fleet.ipmiBridge?.pid).toBeGreaterThan(0);
    expect(new Set(servers.map((s) => s.ipmi?.port)).size).toBe(2);
    for (const server of servers) {
      expect(server.ipmi).toEqual({ host: '127.0.0.1', port: expect.any(Number) });
      expect(server.ipmiDriverInfo).toEqual({
        ipmi_address: '127.0.0.1',
        ipmi_port: server.ipmi!.port,
        ipmi_username: 'admin',
        ipmi_password: 'ipmi-secret',
      });
    }
    const plain = await startFleet({ count: 1 });
    expect(plain.ipmiBridge).toBeUndefined();
    expect(plain.servers[0]!.ipmi).toBeUndefined();
    expect(plain.servers[0]!.ipmiDriverInfo).toBeUndefined();
  });

  it('reports the power state of the machine, whoever changed it', async () => {
    const { servers, endpoints } = await ipmiFleet(2);
    expect(await ok(endpoints[0]!, 'power', 'status')).toContain('Chassis Power is off');
    expect((await redfishReset(servers[0]!, 'On')).status).toBe(204);
    expect(await ok(endpoints[0]!, 'power', 'status')).toContain('Chassis Power is on');
    expect(await ok(endpoints[0]!, 'chassis', 'status')).toMatch(/System Power\s*: on/);
    expect(await ok(endpoints[1]!, 'power', 'status')).toContain('Chassis Power is off');
  });

  it('powers the machine on, off and softly off, as the matching Redfish resets do', async () => {
    const { servers, endpoints } = await ipmiFleet(1);
    const [server, endpoint] = [servers[0]!, endpoints[0]!];
    expect(await ok(endpoint, 'power', 'on')).toContain('Up/On');
    expect(server.bmc.state.power).toBe('On');
    expect(await ok(endpoint, 'power', 'off')).toContain('Down/Off');
    expect(server.bmc.state.power).toBe('Off');
    await ok(endpoint, 'power', 'on');
    await ok(endpoint, 'power', 'soft');
    expect(server.bmc.state.power).toBe('Off');
    expect(server.bmc.state.resets).toEqual(['On', 'ForceOff', 'On', 'GracefulShutdown']);
  });

  it('reboots on reset and cycle: off, then on from the one-time boot device', async () => {
    const { servers, endpoints } = await ipmiFleet(1, { powerDelayMs: 50 });
    const [server, endpoint] = [servers[0]!, endpoints[0]!];
    await ok(endpoint, 'power', 'on');
    await waitFor('power on', async () => server.bmc.state.power === 'On', 5_000, 20);
    const changes: PowerChange[] = [];
    server.bmc.on('power', (change) => changes.push(change));

    await ok(endpoint, 'chassis', 'bootdev', 'pxe');
    expect(await ok(endpoint, 'power', 'reset')).toContain('Reset');
    await waitFor('the reset to finish', async () => changes.length === 2, 5_000, 20);
    expect(changes).toEqual([
      { from: 'On', to: 'Off', resetType: 'ForceRestart' },
      { from: 'Off', to: 'On', resetType: 'ForceRestart', bootTarget: 'Pxe' },
    ]);
    // The one-time override was used up by that boot, as the Redfish side shows too.
    expect(server.bmc.state.boot.enabled).toBe('Disabled');

    expect(await ok(endpoint, 'power', 'cycle')).toContain('Cycle');
    await waitFor('the cycle to finish', async () => changes.length === 4, 5_000, 20);
    expect(changes.slice(2)).toEqual([
      { from: 'On', to: 'Off', resetType: 'PowerCycle' },
      { from: 'Off', to: 'On', resetType: 'PowerCycle', bootTarget: 'Hdd' },
    ]);
  });

  it('sets the boot override: one-time, persistent, UEFI, and reads it back', async () => {
    const { servers, endpoints } = await ipmiFleet(1);
    const [server, endpoint] = [servers[0]!, endpoints[0]!];
    const boot = () => server.bmc.state.boot;

    await ok(endpoint, 'chassis', 'bootdev', 'pxe');
    expect(boot()).toEqual({ enabled: 'Once', target: 'Pxe', mode: 'Legacy' });
    let flags = await ok(endpoint, 'chassis', 'bootparam', 'get', '5');
    expect(flags).toContain('Boot Device Selector : Force PXE');
    expect(flags).toContain('Options apply to only next boot');

    await ok(endpoint, 'chassis', 'bootdev', 'disk', 'options=persistent');
    expect(boot()).toEqual({ enabled: 'Continuous', target: 'Hdd', mode: 'Legacy' });
    expect(await ok(endpoint, 'chassis', 'bootparam', 'get', '5')).toContain(
      'Options apply to all future boots',
    );

    await ok(endpoint, 'chassis', 'bootdev', 'cdrom', 'options=efiboot');
    expect(boot()).toEqual({ enabled: 'Once', target: 'Cd', mode: 'UEFI' });

    await ok(endpoint, 'chassis', 'bootdev', 'bios', 'options=persistent,efiboot');
    expect(boot()).toEqual({ enabled: 'Continuous', target: 'BiosSetup', mode: 'UEFI' });
    flags = await ok(endpoint, 'chassis', 'bootparam', 'get', '5');
    expect(flags).toContain('Force Boot into BIOS Setup');
    expect(flags).toContain('Options apply to all future boots');
    expect(flags).toContain('BIOS EFI boot');

    // What Redfish sets, IPMI reads.
    const patched = await call(server.bmc, 'PATCH', server.systemPath, {
      auth: admin(server.bmc),
      body: { Boot: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Pxe' } },
    });
    expect(patched.status).toBe(204);
    flags = await ok(endpoint, 'chassis', 'bootparam', 'get', '5');
    expect(flags).toContain('Force PXE');
    expect(flags).toContain('Options apply to only next boot');

    await ok(endpoint, 'chassis', 'bootdev', 'none');
    expect(boot()).toMatchObject({ enabled: 'Disabled', target: 'None' });
    expect(await ok(endpoint, 'chassis', 'bootparam', 'get', '5')).toContain('No override');
  });

  it('refuses a boot device the machine does not have', async () => {
    const { servers, endpoints } = await ipmiFleet(1);
    const result = await ipmitool(endpoints[0]!, ['chassis', 'bootdev', 'safe']);
    // ipmitool exits 0 here: the refusal is only in what it prints.
    expect(result.stderr).toContain('Invalid data field in request');
    expect(servers[0]!.bmc.state.boot.enabled).toBe('Disabled');
  });

  it('refuses a wrong password and an unknown user at once, without touching the machine', async () => {
    const { servers, endpoints } = await ipmiFleet(1);
    const [server, endpoint] = [servers[0]!, endpoints[0]!];
    for (const as of [{ password: 'not-the-password' }, { username: 'nobody' }]) {
      const result = await ipmitool(endpoint, ['power', 'on'], as);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('Unable to establish IPMI v2 / RMCP+ session');
      // A refusal, not a timeout: with -N 1 -R 1, a session nobody answers fails after 2 s.
      expect(result.ms).toBeLessThan(1_500);
    }
    expect(server.bmc.state.power).toBe('Off');
    expect(server.bmc.state.requestCount).toBe(0);
    const verbose = await ipmitool(endpoint, ['-v', 'power', 'status'], { username: 'nobody' });
    expect(verbose.stderr).toContain('unauthorized name');
  });

  it('answers an error completion code while the Redfish BMC is down, and recovers', async () => {
    const { fleet, servers, endpoints } = await ipmiFleet(2);
    await servers[0]!.bmc.setFault('refuse');
    const status = await ipmitool(endpoints[0]!, ['power', 'status']);
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain('Get Chassis Power Status failed: Unspecified error');
    expect((await ipmitool(endpoints[0]!, ['power', 'on'])).code).not.toBe(0);
    const bootdev = await ipmitool(endpoints[0]!, ['chassis', 'bootdev', 'pxe']);
    expect(bootdev.stderr).toContain('Set Chassis Boot Parameter 5 failed');
    expect(fleet.ipmiBridge!.output()).toMatch(/lab-server-001 .*completion code 0xff/);

    expect(await ok(endpoints[1]!, 'power', 'on')).toContain('Up/On');
    await servers[0]!.bmc.setFault('none');
    expect(await ok(endpoints[0]!, 'power', 'status')).toContain('Chassis Power is off');
    expect(await ok(endpoints[0]!, 'power', 'on')).toContain('Up/On');
    expect(servers[0]!.bmc.state.power).toBe('On');
  });

  it('answers a slow BMC once, however often ipmitool retransmits', async () => {
    const { servers, endpoints } = await ipmiFleet(1, { responseDelayMs: 1_300 });
    // ipmitool retransmits after one second (-R 3 allows it); the bridge answers when the BMC has.
    expect(await ok(endpoints[0]!, '-R', '3', 'power', 'cycle')).toContain('Cycle');
    expect(servers[0]!.bmc.state.resets).toEqual(['PowerCycle']);
  });

  it('stops with the fleet and frees its ports', async () => {
    const { fleet, endpoints } = await ipmiFleet(1);
    const bridge = fleet.ipmiBridge!;
    await fleet.stop();
    await expect(bridge.exited).resolves.toMatchObject({ code: 0, expected: true });
    await expect(bindUdp(endpoints[0]!.port)).resolves.toBeDefined();
  });

  it('serves a fleet whose BMCs speak HTTPS, verifying their certificate', async () => {
    const { servers, endpoints } = await ipmiFleet(1, { tls: true });
    expect(await ok(endpoints[0]!, 'power', 'on')).toContain('Up/On');
    expect(servers[0]!.bmc.state.power).toBe('On');
  });

  it('listens on ipmiBasePort + i, and says so when that port is taken', async () => {
    const probe = await bindUdp(0);
    const port = probe.address().port;
    await closeUdp(probe);
    const { servers } = await ipmiFleet(1, { ipmiBasePort: port });
    expect(servers[0]!.ipmi!.port).toBe(port);

    await expect(startFleet({ count: 1, ipmi: true, ipmiBasePort: port })).rejects.toThrow(
      new RegExp(`cannot bind UDP 127\\.0\\.0\\.1:${port}`),
    );
  });
});

describe('startIpmiBridge', () => {
  async function bmcs(count: number, opts: Parameters<typeof RedfishBmc.start>[0] = {}) {
    const started = await Promise.all(
      Array.from({ length: count }, () => RedfishBmc.start({ password: 'bridge-secret', ...opts })),
    );
    cleanups.push(() => Promise.all(started.map((bmc) => bmc.stop())));
    return started;
  }

  async function bridge(...args: Parameters<typeof startIpmiBridge>): Promise<IpmiBridge> {
    const started = await startIpmiBridge(...args);
    cleanups.push(() => started.stop());
    return started;
  }

  it('puts endpoints in front of plain RedfishBmcs, found by their URL', async () => {
    const [a, b] = (await bmcs(2)) as [RedfishBmc, RedfishBmc];
    const ipmi = await bridge([a, b]);
    expect(ipmi.endpoints).toHaveLength(2);
    expect(ipmi.endpointOf(b)).toBe(ipmi.endpoints[1]);
    expect(ipmi.endpointOf(a)).toMatchObject({ username: 'admin', password: 'bridge-secret' });
    await ok(ipmi.endpointOf(b), 'power', 'on');
    expect([a.state.power, b.state.power]).toEqual(['Off', 'On']);
    expect(() => ipmi.endpointOf({ url: 'http://127.0.0.1:1' })).toThrow(/no endpoint/);
  });

  it('keeps serving the other servers while one BMC hangs', async () => {
    const [wedged, fine] = (await bmcs(2)) as [RedfishBmc, RedfishBmc];
    const ipmi = await bridge([wedged, fine], { redfishTimeoutMs: 4_000 });
    await wedged.setFault('hang');
    const stuck = ipmitool(ipmi.endpointOf(wedged), ['power', 'status']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    expect(await ok(ipmi.endpointOf(fine), 'power', 'status')).toContain('off');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect((await stuck).code).not.toBe(0);
  });

  it('says to install python3-pyghmi when the interpreter lacks pyghmi', async () => {
    const [bmc] = await bmcs(1);
    const dir = await mkdtemp(join(tmpdir(), 'ingot-ipmi-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // Debian's python3 without its site packages: no pyghmi.
    const python = join(dir, 'python-without-pyghmi');
    await writeFile(python, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
    await chmod(python, 0o755);
    await expect(startIpmiBridge([bmc!], { python })).rejects.toThrow(
      /exited \(code 3\) before its endpoints were ready:\n.*Install the Debian package python3-pyghmi/s,
    );
    await expect(startIpmiBridge([bmc!], { python: join(dir, 'no-such-python') })).rejects.toThrow(
      /cannot run the lab IPMI bridge .*ENOENT.*python3-pyghmi/,
    );
  });
});

function bindUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      cleanups.push(() => closeUdp(socket));
      resolve(socket);
    });
  });
}

function closeUdp(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
