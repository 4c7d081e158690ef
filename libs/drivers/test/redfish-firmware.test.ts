import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../lab/src/index.js';
import { serveImages, type ImageServer } from '../../../lab/test/image-server.js';
import {
  closeDriverConnections,
  type FirmwareInterface,
  type FirmwareTaskHandle,
} from '../src/index.js';
import { bmcError, cleanUp, driverInfoFor, redfish, startBmc } from './lab-bmc.js';

const servers: ImageServer[] = [];
afterEach(async () => {
  await cleanUp();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(closeDriverConnections);

async function images(files: Record<string, string>) {
  const server = await serveImages(files);
  servers.push(server);
  return server;
}

const settled = (firmware: FirmwareInterface, handle: FirmwareTaskHandle) =>
  waitFor(
    `the ${handle.component} update to settle`,
    async () => {
      const status = await firmware.taskStatus(handle);
      return status.state === 'running' ? undefined : status;
    },
    5000,
    50,
  );

describe('redfish firmware', () => {
  it('lists bios, bmc and nic components with their versions, as Ironic names them', async () => {
    const bmc = await startBmc();
    const components = await redfish(driverInfoFor(bmc)).firmware!.components();
    expect(components).toEqual([
      {
        component: 'bios',
        current_version: '2.10.2',
        updateable: true,
        inventory_path: '/redfish/v1/UpdateService/FirmwareInventory/BIOS',
      },
      {
        component: 'bmc',
        current_version: '5.10.00',
        updateable: true,
        inventory_path: '/redfish/v1/UpdateService/FirmwareInventory/BMC',
      },
      {
        component: 'nic:NIC1',
        current_version: '22.31.6',
        updateable: true,
        inventory_path: '/redfish/v1/UpdateService/FirmwareInventory/NIC1',
      },
    ]);
  });

  it('updates the BIOS through SimpleUpdate; the task completes and the version shows after a reboot', async () => {
    const bmc = await startBmc({ firmwareUpdateMs: 300 });
    const server = await images({ '/bios.json': '{"component":"bios","version":"2.11.0"}' });
    const hardware = redfish(driverInfoFor(bmc));
    const firmware = hardware.firmware!;
    const [handle] = await firmware.update([
      { component: 'bios', url: server.url('/bios.json'), wait: 5 },
    ]);
    expect(handle).toMatchObject({
      component: 'bios',
      wait: 5,
      task: expect.stringMatching(/^\/redfish\/v1\/TaskService\/Tasks\/\d+$/),
    });
    expect((await firmware.taskStatus(handle!)).state).toBe('running');

    const status = await settled(firmware, handle!);
    expect(status).toMatchObject({ state: 'completed', percent: 100, rebootRequired: true });
    expect(status.message).toMatch(/takes effect when the server next reboots/);
    expect((await firmware.components())[0]?.current_version).toBe('2.10.2');

    await hardware.power.setPowerState('power on');
    expect((await firmware.components())[0]?.current_version).toBe('2.11.0');
  });

  it('reports a failed update with the BMC message: fault knob, and an image for another component', async () => {
    const bmc = await startBmc({
      firmwareUpdateMs: 50,
      firmwareUpdateFailure: 'Flash write failed.',
    });
    const server = await images({ '/bmc-6.0.0.bin': 'x', '/nic1-23.1.0.bin': 'x' });
    const firmware = redfish(driverInfoFor(bmc)).firmware!;
    const [flash] = await firmware.update([
      { component: 'bmc', url: server.url('/bmc-6.0.0.bin') },
    ]);
    expect(await settled(firmware, flash!)).toMatchObject({
      state: 'failed',
      task_state: 'Exception',
      message: 'Flash write failed.',
      rebootRequired: false,
    });

    bmc.firmwareUpdateFailure = undefined;
    // The image is NIC firmware, the component says bios: the driver's Targets let the BMC refuse it.
    const [wrong] = await firmware.update([
      { component: 'bios', url: server.url('/nic1-23.1.0.bin') },
    ]);
    const status = await settled(firmware, wrong!);
    expect(status.state).toBe('failed');
    expect(status.message).toMatch(/is NIC1 firmware, not for BIOS/);
    expect(bmc.state.firmware.NIC1.pendingVersion).toBeUndefined();
  });

  it('refuses bad update settings before calling the BMC, as Ironic validates them', async () => {
    const bmc = await startBmc();
    const firmware = redfish(driverInfoFor(bmc)).firmware!;
    const before = bmc.state.requestCount;
    const bad = await bmcError(
      () => firmware.update([{ component: 'raid', url: 'http://127.0.0.1/x.bin' }]),
      'invalid_config',
    );
    expect(bad.message).toMatch(/"raid" is not one of bios, bmc or nic:<id>/);
    await bmcError(
      () => firmware.update([{ component: 'bios', url: 'ftp://x/y' }]),
      'invalid_config',
    );
    await bmcError(() => firmware.update([]), 'invalid_config');
    expect(bmc.state.requestCount).toBe(before);
  });

  it('a BMC that refuses the image URL answers with a readable error', async () => {
    const bmc = await startBmc();
    const firmware = redfish(driverInfoFor(bmc)).firmware!;
    const error = await bmcError(
      () => firmware.update([{ component: 'bios', url: 'http://192.0.2.7/bios.bin' }]),
      'protocol',
    );
    expect(error.message).toMatch(/HTTP 400: .*loopback/);
  });
});
