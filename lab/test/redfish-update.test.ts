import { afterEach, describe, expect, it } from 'vitest';
import { RedfishBmc, waitFor } from '../src/index.js';
import { serveImages, type ImageServer } from './image-server.js';
import { admin, call } from './redfish-client.js';

const bmcs: RedfishBmc[] = [];
const servers: ImageServer[] = [];
async function startBmc(opts: Parameters<typeof RedfishBmc.start>[0] = {}) {
  const bmc = await RedfishBmc.start({ password: 'lab-secret', firmwareUpdateMs: 200, ...opts });
  bmcs.push(bmc);
  return bmc;
}
async function images(files: Record<string, string>) {
  const server = await serveImages(files);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(bmcs.splice(0).map((bmc) => bmc.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const get = (bmc: RedfishBmc, path: string) => call(bmc, 'GET', path, { auth: admin(bmc) });
const simpleUpdate = (bmc: RedfishBmc, body: unknown) =>
  call(bmc, 'POST', '/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate', {
    auth: admin(bmc),
    body,
  });
async function finished(bmc: RedfishBmc, location: string) {
  return waitFor(
    `task ${location} to finish`,
    async () => {
      const task = (await get(bmc, location)).json as Record<string, any> | undefined;
      return task?.TaskState === 'Completed' || task?.TaskState === 'Exception' ? task : undefined;
    },
    5000,
    50,
  );
}

describe('UpdateService', () => {
  it('lists BIOS, BMC and NIC firmware, and the versions on the system and the manager', async () => {
    const bmc = await startBmc();
    const root = await call(bmc, 'GET', '/redfish/v1/');
    expect(root.json?.UpdateService).toEqual({ '@odata.id': '/redfish/v1/UpdateService' });
    const service = await get(bmc, '/redfish/v1/UpdateService');
    expect(service.json).toMatchObject({
      FirmwareInventory: { '@odata.id': '/redfish/v1/UpdateService/FirmwareInventory' },
      Actions: { '#UpdateService.SimpleUpdate': { target: expect.any(String) } },
    });
    const inventory = await get(bmc, '/redfish/v1/UpdateService/FirmwareInventory');
    expect((inventory.json?.Members as any[]).map((m) => m['@odata.id'])).toEqual(
      ['BIOS', 'BMC', 'NIC1'].map((id) => `/redfish/v1/UpdateService/FirmwareInventory/${id}`),
    );
    const biosFw = await get(bmc, '/redfish/v1/UpdateService/FirmwareInventory/BIOS');
    expect(biosFw.json).toMatchObject({ Version: '2.10.2', Updateable: true });
    expect((await get(bmc, bmc.systemPath)).json?.BiosVersion).toBe('2.10.2');
    expect((await get(bmc, bmc.managerPath)).json?.FirmwareVersion).toBe('5.10.00');
  });

  it('downloads the image, runs a task, and stages BIOS firmware until the next boot', async () => {
    const bmc = await startBmc();
    const server = await images({ '/fw/bios.json': '{"component":"bios","version":"2.11.0"}' });
    const res = await simpleUpdate(bmc, {
      ImageURI: server.url('/fw/bios.json'),
      TransferProtocol: 'HTTP',
    });
    expect(res.status).toBe(202);
    const location = String(res.headers.location);
    expect(location).toMatch(/^\/redfish\/v1\/TaskService\/Tasks\/\d+$/);
    expect(['New', 'Running']).toContain((await get(bmc, location)).json?.TaskState);

    const task = await finished(bmc, location);
    expect(task).toMatchObject({ TaskState: 'Completed', PercentComplete: 100 });
    expect(task.Messages[0].Message).toMatch(/takes effect when the server next reboots/);
    expect(server.requests).toEqual(['/fw/bios.json']);
    expect(bmc.state.firmware.BIOS).toEqual({ version: '2.10.2', pendingVersion: '2.11.0' });

    await call(bmc, 'POST', `${bmc.systemPath}/Actions/ComputerSystem.Reset`, {
      auth: admin(bmc),
      body: { ResetType: 'On' },
    });
    expect(bmc.state.firmware.BIOS).toEqual({ version: '2.11.0', pendingVersion: undefined });
    expect((await get(bmc, bmc.systemPath)).json?.BiosVersion).toBe('2.11.0');
  });

  it('takes the component and version from the file name, and BMC firmware at once', async () => {
    const bmc = await startBmc();
    const server = await images({ '/bmc-5.20.1.bin': '\u0000binary' });
    const res = await simpleUpdate(bmc, { ImageURI: server.url('/bmc-5.20.1.bin') });
    expect((await finished(bmc, String(res.headers.location))).TaskState).toBe('Completed');
    expect(bmc.state.firmware.BMC.version).toBe('5.20.1');
  });

  it('fails the task when the image is missing, unreadable, or for another target', async () => {
    const bmc = await startBmc();
    const server = await images({
      '/junk.bin': 'junk',
      '/nic1-23.0.0.bin': 'x',
    });
    const missing = await simpleUpdate(bmc, { ImageURI: server.url('/nope.bin') });
    const lost = await finished(bmc, String(missing.headers.location));
    expect(lost).toMatchObject({ TaskState: 'Exception', TaskStatus: 'Critical' });
    expect(lost.Messages[0].Message).toMatch(/could not download .*nope\.bin: HTTP 404/);

    const junk = await simpleUpdate(bmc, { ImageURI: server.url('/junk.bin') });
    expect((await finished(bmc, String(junk.headers.location))).Messages[0].Message).toMatch(
      /not a firmware package/,
    );

    const wrong = await simpleUpdate(bmc, {
      ImageURI: server.url('/nic1-23.0.0.bin'),
      Targets: ['/redfish/v1/UpdateService/FirmwareInventory/BIOS'],
    });
    expect((await finished(bmc, String(wrong.headers.location))).Messages[0].Message).toMatch(
      /is NIC1 firmware, not for BIOS/,
    );
    expect(bmc.state.firmware.NIC1.pendingVersion).toBeUndefined();
  });

  it('fails every update while the firmwareUpdateFailure fault is set', async () => {
    const bmc = await startBmc({ firmwareUpdateFailure: 'Flash write failed at block 42.' });
    const server = await images({ '/bios-3.0.0.bin': 'x' });
    const res = await simpleUpdate(bmc, { ImageURI: server.url('/bios-3.0.0.bin') });
    const task = await finished(bmc, String(res.headers.location));
    expect(task.Messages[0].Message).toBe('Flash write failed at block 42.');
    expect(bmc.state.firmware.BIOS.pendingVersion).toBeUndefined();

    bmc.firmwareUpdateFailure = undefined;
    const again = await simpleUpdate(bmc, { ImageURI: server.url('/bios-3.0.0.bin') });
    expect((await finished(bmc, String(again.headers.location))).TaskState).toBe('Completed');
  });

  it('refuses a missing ImageURI, a non-loopback URL, a bad protocol and an unknown target', async () => {
    const bmc = await startBmc();
    expect((await simpleUpdate(bmc, {})).status).toBe(400);
    const remote = await simpleUpdate(bmc, { ImageURI: 'http://192.0.2.1/bios.bin' });
    expect(remote.status).toBe(400);
    expect((remote.json?.error as any).message).toMatch(/loopback/);
    const ftp = { ImageURI: 'http://127.0.0.1:1/x', TransferProtocol: 'FTP' };
    expect((await simpleUpdate(bmc, ftp)).status).toBe(400);
    const target = { ImageURI: 'http://127.0.0.1:1/x', Targets: ['/redfish/v1/Chassis/1'] };
    expect((await simpleUpdate(bmc, target)).status).toBe(400);
    expect(bmc.state.tasks).toEqual([]);
  });
});
