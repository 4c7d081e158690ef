import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { LightBmcHost, describeServer, type LightBmcHostOptions } from '../src/index.js';
import { call } from './redfish-client.js';

const hosts: LightBmcHost[] = [];
async function startHost(opts: Partial<LightBmcHostOptions> = {}): Promise<LightBmcHost> {
  const host = await LightBmcHost.start({ count: 3, password: 'lab-secret', ...opts });
  hosts.push(host);
  return host;
}
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
});

const admin = (host: LightBmcHost): [string, string] => [host.username, host.password];
const get = (host: LightBmcHost, path: string) => call(host, 'GET', path, { auth: admin(host) });
const reset = (host: LightBmcHost, index: number, ResetType: string) =>
  call(host, 'POST', `${host.systemPath(index)}/Actions/ComputerSystem.Reset`, {
    auth: admin(host),
    body: { ResetType },
  });

describe('one port, many systems', () => {
  it('lists every system and serves each with its own identity and manager', async () => {
    const host = await startHost({ firstIndex: 10 });
    const root = await call(host, 'GET', '/redfish/v1/');
    expect(root.status).toBe(200);
    expect(root.json).toMatchObject({ UUID: host.uuid, Links: { Sessions: {} } });
    const systems = await get(host, '/redfish/v1/Systems');
    expect(systems.json).toMatchObject({
      'Members@odata.count': 3,
      Members: [1, 2, 3].map((i) => ({ '@odata.id': `/redfish/v1/Systems/${i}` })),
    });
    const managers = await get(host, '/redfish/v1/Managers');
    expect(managers.json?.['Members@odata.count']).toBe(3);

    const third = await get(host, host.systemPath(2));
    const server = describeServer(12);
    expect(host.serverName(2)).toBe(server.name);
    expect(third.status).toBe(200);
    expect(third.json).toMatchObject({
      '@odata.id': '/redfish/v1/Systems/3',
      Id: '3',
      Name: server.name,
      UUID: server.uuid,
      PowerState: 'Off',
      Links: { ManagedBy: [{ '@odata.id': '/redfish/v1/Managers/3' }] },
      Actions: {
        '#ComputerSystem.Reset': { target: '/redfish/v1/Systems/3/Actions/ComputerSystem.Reset' },
      },
    });
    const nic = await get(host, '/redfish/v1/Systems/3/EthernetInterfaces/NIC1');
    expect(nic.json?.MACAddress).toBe(server.macs[0]);
  });

  it('answers 404 for an id that names no system, and 401 to anyone without the account', async () => {
    const host = await startHost();
    for (const id of ['0', '4', '01', '1.0', 'x']) {
      expect((await get(host, `/redfish/v1/Systems/${id}`)).status, id).toBe(404);
    }
    expect((await get(host, '/redfish/v1/Managers/4/VirtualMedia/Cd')).status).toBe(404);
    expect((await call(host, 'GET', host.systemPath(0))).status).toBe(401);
    expect((await call(host, 'GET', host.systemPath(0), { auth: ['admin', 'no'] })).status).toBe(
      401,
    );
  });

  it('opens sessions whose token works for every system until deleted', async () => {
    const host = await startHost();
    const login = await call(host, 'POST', '/redfish/v1/SessionService/Sessions', {
      body: { UserName: 'admin', Password: 'lab-secret' },
    });
    expect(login.status).toBe(201);
    const token = String(login.headers['x-auth-token']);
    expect(host.sessionCount).toBe(1);
    for (const index of [0, 2]) {
      expect((await call(host, 'GET', host.systemPath(index), { auth: { token } })).status).toBe(
        200,
      );
    }
    const gone = await call(host, 'DELETE', String(login.headers.location), { auth: { token } });
    expect(gone.status).toBe(204);
    expect(host.sessionCount).toBe(0);
    expect((await call(host, 'GET', host.systemPath(0), { auth: { token } })).status).toBe(401);
  });
});

describe('per-system state', () => {
  it('a Reset, a boot override and virtual media change only the system they name', async () => {
    const host = await startHost();
    expect((await reset(host, 1, 'On')).status).toBe(204);
    expect(host.stateOf(1).power).toBe('On');
    expect(host.stateOf(0).power).toBe('Off');
    expect((await get(host, host.systemPath(1))).json?.PowerState).toBe('On');
    expect((await reset(host, 1, 'ForceOff')).status).toBe(204);
    expect(host.stateOf(1).power).toBe('Off');
    expect((await reset(host, 1, 'Sideways')).status).toBe(400);

    const patch = await call(host, 'PATCH', host.systemPath(2), {
      auth: admin(host),
      body: { Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Once' } },
    });
    expect(patch.status).toBe(204);
    expect(host.stateOf(2).boot).toEqual({ enabled: 'Once', target: 'Cd', mode: 'UEFI' });
    expect(host.stateOf(0).boot).toEqual({ enabled: 'Disabled', target: 'None', mode: 'UEFI' });
    // The one-time override is used up by the boot it applied to.
    await reset(host, 2, 'On');
    expect(host.stateOf(2).boot.enabled).toBe('Disabled');

    const insert = await call(
      host,
      'POST',
      '/redfish/v1/Managers/3/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia',
      { auth: admin(host), body: { Image: 'http://127.0.0.1:9/boot.iso' } },
    );
    expect(insert.status).toBe(204);
    expect(host.stateOf(2).media.Cd).toMatchObject({ inserted: true, image: expect.any(String) });
    expect(host.stateOf(1).media.Cd.inserted).toBe(false);
    const slot = await get(host, '/redfish/v1/Managers/3/VirtualMedia/Cd');
    expect(slot.json).toMatchObject({ Inserted: true, Image: 'http://127.0.0.1:9/boot.iso' });
    await call(
      host,
      'POST',
      '/redfish/v1/Managers/3/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia',
      {
        auth: admin(host),
        body: {},
      },
    );
    expect(host.stateOf(2).media.Cd.inserted).toBe(false);

    const secure = await call(host, 'PATCH', `${host.systemPath(0)}/SecureBoot`, {
      auth: admin(host),
      body: { SecureBootEnable: true },
    });
    expect(secure.status).toBe(204);
    expect(host.stateOf(0).secureBoot).toBe(true);
    expect(host.stateOf(1).secureBoot).toBe(false);
  });

  it('shows an out-of-band power change at the next read, and counts requests per system', async () => {
    const host = await startHost({ power: 'On' });
    host.setPower(0, 'Off');
    expect((await get(host, host.systemPath(0))).json?.PowerState).toBe('Off');
    expect((await get(host, host.systemPath(1))).json?.PowerState).toBe('On');
    await get(host, '/redfish/v1/Managers/2/VirtualMedia');
    await call(host, 'GET', '/redfish/v1/');
    expect(host.requestCounts()).toEqual([1, 2, 0]);
    expect(host.requestCount).toBe(4);
  });
});

describe('scale', () => {
  it('holds 10,000 systems in a few MiB and serves any of them', async () => {
    const before = process.memoryUsage().heapUsed;
    const host = await startHost({ count: 10_000 });
    const grown = process.memoryUsage().heapUsed - before;
    // ~60 bytes a system plus the host; a generous bound that still catches per-system copies.
    expect(grown).toBeLessThan(16 * 1024 * 1024);
    const dispatcher = new Agent({ connections: 8 });
    try {
      const paths = Array.from({ length: 500 }, (_, i) => host.systemPath((i * 37) % 10_000));
      const answers = await Promise.all(
        paths.map((path) => call(host, 'GET', path, { auth: admin(host), dispatcher })),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect((await get(host, host.systemPath(9_999))).json?.Id).toBe('10000');
      expect(host.requestCount).toBe(501);
      expect(host.requestCounts().reduce((a, b) => a + b, 0)).toBe(501);
    } finally {
      await dispatcher.close();
    }
  });
});
