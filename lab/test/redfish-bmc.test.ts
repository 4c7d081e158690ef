import { afterEach, describe, expect, it } from 'vitest';
import { RedfishBmc, type MediaChange, type PowerChange } from '../src/index.js';
import { admin, call } from './redfish-client.js';

const bmcs: RedfishBmc[] = [];
async function startBmc(opts: Parameters<typeof RedfishBmc.start>[0] = {}): Promise<RedfishBmc> {
  const bmc = await RedfishBmc.start({ password: 'lab-secret', ...opts });
  bmcs.push(bmc);
  return bmc;
}
afterEach(async () => {
  await Promise.all(bmcs.splice(0).map((bmc) => bmc.stop()));
});

const reset = (bmc: RedfishBmc, ResetType: unknown) =>
  call(bmc, 'POST', `${bmc.systemPath}/Actions/ComputerSystem.Reset`, {
    auth: admin(bmc),
    body: { ResetType },
  });

describe('authentication', () => {
  it('serves the service root without credentials, with links to Systems, Managers and sessions', async () => {
    const bmc = await startBmc();
    const root = await call(bmc, 'GET', '/redfish/v1/');
    expect(root.status).toBe(200);
    expect(root.json).toMatchObject({
      Systems: { '@odata.id': '/redfish/v1/Systems' },
      Managers: { '@odata.id': '/redfish/v1/Managers' },
      SessionService: { '@odata.id': '/redfish/v1/SessionService' },
      Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' } },
    });
  });

  it('answers 401 to missing or wrong credentials and 200 to the right basic credentials', async () => {
    const bmc = await startBmc();
    expect((await call(bmc, 'GET', bmc.systemPath)).status).toBe(401);
    expect((await call(bmc, 'GET', bmc.systemPath, { auth: ['admin', 'nope'] })).status).toBe(401);
    expect((await call(bmc, 'GET', bmc.systemPath, { auth: ['root', 'lab-secret'] })).status).toBe(
      401,
    );
    const ok = await call(bmc, 'GET', bmc.systemPath, { auth: admin(bmc) });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ Id: '1', UUID: bmc.server.uuid, PowerState: 'Off' });
  });

  it('opens a session with an X-Auth-Token that works until the session is deleted', async () => {
    const bmc = await startBmc();
    const wrong = await call(bmc, 'POST', '/redfish/v1/SessionService/Sessions', {
      body: { UserName: 'admin', Password: 'nope' },
    });
    expect(wrong.status).toBe(401);

    const login = await call(bmc, 'POST', '/redfish/v1/SessionService/Sessions', {
      body: { UserName: 'admin', Password: 'lab-secret' },
    });
    expect(login.status).toBe(201);
    const token = String(login.headers['x-auth-token']);
    const location = String(login.headers.location);
    expect(location).toMatch(/^\/redfish\/v1\/SessionService\/Sessions\/\w+$/);
    expect(bmc.state.sessions).toBe(1);

    expect((await call(bmc, 'GET', bmc.systemPath, { auth: { token } })).status).toBe(200);
    expect((await call(bmc, 'DELETE', location, { auth: { token } })).status).toBe(204);
    expect((await call(bmc, 'GET', bmc.systemPath, { auth: { token } })).status).toBe(401);
    expect(bmc.state.sessions).toBe(0);
  });

  it('rejects old tokens after the sessions expire', async () => {
    const bmc = await startBmc();
    const login = await call(bmc, 'POST', '/redfish/v1/SessionService/Sessions', {
      body: { UserName: 'admin', Password: 'lab-secret' },
    });
    bmc.expireSessions();
    const token = String(login.headers['x-auth-token']);
    expect((await call(bmc, 'GET', bmc.systemPath, { auth: { token } })).status).toBe(401);
  });
});

describe('power', () => {
  it('powers on and off through ComputerSystem.Reset and emits power events', async () => {
    const bmc = await startBmc();
    const changes: PowerChange[] = [];
    bmc.on('power', (change) => changes.push(change));

    const system = await call(bmc, 'GET', bmc.systemPath, { auth: admin(bmc) });
    expect(system.json?.Actions).toMatchObject({
      '#ComputerSystem.Reset': {
        target: `${bmc.systemPath}/Actions/ComputerSystem.Reset`,
        'ResetType@Redfish.AllowableValues': expect.arrayContaining(['On', 'ForceOff']),
      },
    });

    expect((await reset(bmc, 'On')).status).toBe(204);
    expect(bmc.state.power).toBe('On');
    const on = await call(bmc, 'GET', bmc.systemPath, { auth: admin(bmc) });
    expect(on.json?.PowerState).toBe('On');

    expect((await reset(bmc, 'ForceOff')).status).toBe(204);
    expect(bmc.state.power).toBe('Off');
    expect(bmc.state.resets).toEqual(['On', 'ForceOff']);
    expect(changes).toEqual([
      { from: 'Off', to: 'On', resetType: 'On', bootTarget: 'Hdd' },
      { from: 'On', to: 'Off', resetType: 'ForceOff' },
    ]);
  });

  it('restarts a running server: off, then on again', async () => {
    const bmc = await startBmc({ power: 'On' });
    const changes: PowerChange[] = [];
    bmc.on('power', (change) => changes.push(change));
    expect((await reset(bmc, 'ForceRestart')).status).toBe(204);
    expect(changes.map((c) => c.to)).toEqual(['Off', 'On']);
    expect(bmc.state.power).toBe('On');
  });

  it('refuses an unknown ResetType with 400 and a Redfish error body', async () => {
    const bmc = await startBmc();
    const res = await reset(bmc, 'Explode');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      error: {
        code: expect.stringContaining('ActionParameterValueNotInList'),
        '@Message.ExtendedInfo': [expect.objectContaining({ MessageId: expect.any(String) })],
      },
    });
    expect(bmc.state.resets).toEqual([]);
  });
});

describe('boot override', () => {
  it('applies a PATCH of Boot and shows it on the system', async () => {
    const bmc = await startBmc();
    const boots: unknown[] = [];
    bmc.on('boot', (boot) => boots.push(boot));
    const patch = await call(bmc, 'PATCH', bmc.systemPath, {
      auth: admin(bmc),
      body: {
        Boot: {
          BootSourceOverrideTarget: 'Pxe',
          BootSourceOverrideEnabled: 'Continuous',
          BootSourceOverrideMode: 'Legacy',
        },
      },
    });
    expect(patch.status).toBe(204);
    const expected = { enabled: 'Continuous', target: 'Pxe', mode: 'Legacy' };
    expect(bmc.state.boot).toEqual(expected);
    expect(boots).toEqual([expected]);
    const system = await call(bmc, 'GET', bmc.systemPath, { auth: admin(bmc) });
    expect(system.json?.Boot).toMatchObject({
      BootSourceOverrideEnabled: 'Continuous',
      BootSourceOverrideTarget: 'Pxe',
      BootSourceOverrideMode: 'Legacy',
      'BootSourceOverrideTarget@Redfish.AllowableValues': expect.arrayContaining(['Pxe', 'Hdd']),
    });
  });

  it('rejects a target outside the allowable values', async () => {
    const bmc = await startBmc();
    const res = await call(bmc, 'PATCH', bmc.systemPath, {
      auth: admin(bmc),
      body: { Boot: { BootSourceOverrideTarget: 'Floppy' } },
    });
    expect(res.status).toBe(400);
    expect(bmc.state.boot.target).toBe('None');
  });

  it('uses a one-time override for the next boot only', async () => {
    const bmc = await startBmc();
    const changes: PowerChange[] = [];
    bmc.on('power', (change) => changes.push(change));
    await call(bmc, 'PATCH', bmc.systemPath, {
      auth: admin(bmc),
      body: { Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Once' } },
    });
    await reset(bmc, 'On');
    expect(changes[0]?.bootTarget).toBe('Cd');
    expect(bmc.state.boot).toMatchObject({ enabled: 'Disabled', target: 'None' });
  });
});

describe('virtual media', () => {
  const cd = (bmc: RedfishBmc) => `${bmc.managerPath}/VirtualMedia/Cd`;

  it('is reachable from the system through its manager', async () => {
    const bmc = await startBmc();
    const system = await call(bmc, 'GET', bmc.systemPath, { auth: admin(bmc) });
    const managerPath = (system.json?.Links as { ManagedBy: { '@odata.id': string }[] })
      .ManagedBy[0]?.['@odata.id'];
    const manager = await call(bmc, 'GET', String(managerPath), { auth: admin(bmc) });
    const collection = await call(bmc, 'GET', `${String(managerPath)}/VirtualMedia`, {
      auth: admin(bmc),
    });
    expect(manager.json?.VirtualMedia).toEqual({ '@odata.id': `${managerPath}/VirtualMedia` });
    expect(collection.json?.Members).toEqual([
      { '@odata.id': `${managerPath}/VirtualMedia/Cd` },
      { '@odata.id': `${managerPath}/VirtualMedia/Usb` },
    ]);
  });

  it('inserts and ejects an image, refusing a second insert while one is inside', async () => {
    const bmc = await startBmc();
    const changes: MediaChange[] = [];
    bmc.on('media', (change) => changes.push(change));
    const image = 'http://127.0.0.1:9999/boot.iso';
    const insert = (Image: string) =>
      call(bmc, 'POST', `${cd(bmc)}/Actions/VirtualMedia.InsertMedia`, {
        auth: admin(bmc),
        body: { Image, Inserted: true, WriteProtected: true },
      });

    expect((await insert(image)).status).toBe(204);
    const inserted = await call(bmc, 'GET', cd(bmc), { auth: admin(bmc) });
    expect(inserted.json).toMatchObject({
      Image: image,
      Inserted: true,
      MediaTypes: ['CD', 'DVD'],
    });
    expect(bmc.state.media.Cd).toEqual({ image, inserted: true, writeProtected: true });
    expect((await insert('http://127.0.0.1:9999/other.iso')).status).toBe(409);

    const eject = await call(bmc, 'POST', `${cd(bmc)}/Actions/VirtualMedia.EjectMedia`, {
      auth: admin(bmc),
      body: {},
    });
    expect(eject.status).toBe(204);
    expect(bmc.state.media.Cd.inserted).toBe(false);
    expect(changes).toEqual([
      { device: 'Cd', action: 'insert', image },
      { device: 'Cd', action: 'eject', image },
    ]);
  });
});

describe('secure boot', () => {
  const path = (bmc: RedfishBmc) => `${bmc.systemPath}/SecureBoot`;
  const patch = (bmc: RedfishBmc, body: unknown) =>
    call(bmc, 'PATCH', path(bmc), { auth: admin(bmc), body });

  it('links a SecureBoot resource from the system and records SecureBootEnable, as sushy-tools does', async () => {
    const bmc = await startBmc();
    const system = await call(bmc, 'GET', bmc.systemPath, { auth: admin(bmc) });
    expect(system.json?.SecureBoot).toEqual({ '@odata.id': path(bmc) });
    const off = await call(bmc, 'GET', path(bmc), { auth: admin(bmc) });
    expect(off.json).toMatchObject({
      SecureBootEnable: false,
      SecureBootCurrentBoot: 'Disabled',
      SecureBootMode: 'DeployedMode',
    });

    expect((await patch(bmc, { SecureBootEnable: true })).status).toBe(204);
    expect(bmc.state.secureBoot).toBe(true);
    const on = await call(bmc, 'GET', path(bmc), { auth: admin(bmc) });
    expect(on.json).toMatchObject({ SecureBootEnable: true, SecureBootCurrentBoot: 'Enabled' });
  });

  it('refuses a value that is not a boolean, and secure boot in Legacy boot mode', async () => {
    const bmc = await startBmc();
    expect((await patch(bmc, { SecureBootEnable: 'yes' })).status).toBe(400);
    expect((await patch(bmc, {})).status).toBe(400);
    await call(bmc, 'PATCH', bmc.systemPath, {
      auth: admin(bmc),
      body: { Boot: { BootSourceOverrideMode: 'Legacy' } },
    });
    const legacy = await patch(bmc, { SecureBootEnable: true });
    expect(legacy.status).toBe(400);
    expect(JSON.stringify(legacy.json)).toMatch(/Legacy boot mode does not support secure boot/);
    expect(bmc.state.secureBoot).toBe(false);
  });

  it('has no SecureBoot resource when started with secureBoot: false', async () => {
    const bmc = await startBmc({ secureBoot: false });
    const system = await call(bmc, 'GET', bmc.systemPath, { auth: admin(bmc) });
    expect(system.json?.SecureBoot).toBeUndefined();
    expect((await call(bmc, 'GET', path(bmc), { auth: admin(bmc) })).status).toBe(404);
  });
});

describe('transport', () => {
  it('serves HTTPS with a self-signed certificate that clients can skip or trust', async () => {
    const bmc = await startBmc({ tls: true });
    expect(bmc.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await call(bmc, 'GET', bmc.systemPath, { auth: admin(bmc) })).status).toBe(200);

    const { Agent } = await import('undici');
    const verifying = new Agent();
    await expect(call(bmc, 'GET', '/redfish/v1', { dispatcher: verifying })).rejects.toThrow(
      /self-signed/,
    );
    const trusting = new Agent({ connect: { ca: bmc.certificate } });
    expect((await call(bmc, 'GET', '/redfish/v1', { dispatcher: trusting })).status).toBe(200);
    await Promise.all([verifying.close(), trusting.close()]);
  });

  it('delays every answer by responseDelayMs', async () => {
    const bmc = await startBmc({ responseDelayMs: 150 });
    const started = performance.now();
    await call(bmc, 'GET', '/redfish/v1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('shows a power change only after powerDelayMs', async () => {
    const bmc = await startBmc({ powerDelayMs: 150 });
    await reset(bmc, 'On');
    expect(bmc.state.power).toBe('Off');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(bmc.state.power).toBe('On');
  });

  it('refuses connections while faulted, and answers again once healed', async () => {
    const bmc = await startBmc();
    await bmc.setFault('refuse');
    await expect(call(bmc, 'GET', '/redfish/v1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await bmc.setFault('none');
    expect((await call(bmc, 'GET', '/redfish/v1')).status).toBe(200);
  });

  it('accepts connections but never answers while hanging', async () => {
    const bmc = await startBmc();
    await bmc.setFault('hang');
    const { request } = await import('undici');
    const pending = request(`${bmc.url}/redfish/v1`, { signal: AbortSignal.timeout(200) });
    await expect(pending).rejects.toThrow();
    expect(bmc.state.requestCount).toBe(1);
  });

  it('counts every request, answered or not', async () => {
    const bmc = await startBmc();
    await call(bmc, 'GET', '/redfish/v1');
    await call(bmc, 'GET', bmc.systemPath);
    await call(bmc, 'GET', '/redfish/v1/Nowhere', { auth: admin(bmc) });
    expect(bmc.state.requestCount).toBe(3);
  });
});
