import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MediaChange } from '../../../lab/src/index.js';
import { closeDriverConnections } from '../src/index.js';
import { bmcError, cleanUp, driverInfoFor, redfish, startBmc } from './lab-bmc.js';

afterEach(cleanUp);
afterAll(closeDriverConnections);

describe('redfish boot device', () => {
  it('reports no device while no override is set', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc));
    expect(await hardware.management.getBootDevice()).toEqual({ device: null, persistent: false });
  });

  it('sets a one-time PXE boot in UEFI mode', async () => {
    const bmc = await startBmc();
    const { management } = redfish(driverInfoFor(bmc));
    await management.setBootDevice('pxe', { persistent: false, bootMode: 'uefi' });
    expect(bmc.state.boot).toEqual({ enabled: 'Once', target: 'Pxe', mode: 'UEFI' });
    expect(await management.getBootDevice()).toEqual({ device: 'pxe', persistent: false });
  });

  it('sets a persistent disk boot in legacy BIOS mode', async () => {
    const bmc = await startBmc();
    const { management } = redfish(driverInfoFor(bmc));
    await management.setBootDevice('disk', { persistent: true, bootMode: 'bios' });
    expect(bmc.state.boot).toEqual({ enabled: 'Continuous', target: 'Hdd', mode: 'Legacy' });
    expect(await management.getBootDevice()).toEqual({ device: 'disk', persistent: true });
  });

  it('keeps the boot mode when none is asked for', async () => {
    const bmc = await startBmc();
    const { management } = redfish(driverInfoFor(bmc));
    await management.setBootDevice('cdrom', { persistent: true });
    expect(bmc.state.boot).toEqual({ enabled: 'Continuous', target: 'Cd', mode: 'UEFI' });
  });

  it('refuses the IPMI-only safe device with kind unsupported', async () => {
    const bmc = await startBmc();
    const { management } = redfish(driverInfoFor(bmc));
    const error = await bmcError(
      () => management.setBootDevice('safe', { persistent: false }),
      'unsupported',
    );
    expect(error.message).toContain('use one of pxe, disk, cdrom, bios');
    expect(bmc.state.boot.enabled).toBe('Disabled');
  });
});

describe('redfish virtual media', () => {
  const iso = 'http://127.0.0.1:9/deploy.iso';

  it('inserts a CD image through the manager found in Links.ManagedBy and ejects it', async () => {
    const bmc = await startBmc();
    const { management } = redfish(driverInfoFor(bmc));
    await management.insertVirtualMedia(iso, 'cd');
    expect(bmc.state.media.Cd).toEqual({ image: iso, inserted: true, writeProtected: true });
    await management.ejectVirtualMedia('cd');
    expect(bmc.state.media.Cd.inserted).toBe(false);
  });

  it('uses the USB stick slot for usb', async () => {
    const bmc = await startBmc();
    const { management } = redfish(driverInfoFor(bmc));
    await management.insertVirtualMedia(iso, 'usb');
    expect(bmc.state.media.Usb.image).toBe(iso);
    expect(bmc.state.media.Cd.inserted).toBe(false);
  });

  it('leaves the same image in place and swaps a different one', async () => {
    const bmc = await startBmc();
    const changes: MediaChange[] = [];
    bmc.on('media', (change) => changes.push(change));
    const { management } = redfish(driverInfoFor(bmc));
    await management.insertVirtualMedia(iso, 'cd');
    await management.insertVirtualMedia(iso, 'cd');
    await management.insertVirtualMedia('http://127.0.0.1:9/other.iso', 'cd');
    await management.ejectVirtualMedia('cd');
    await management.ejectVirtualMedia('cd');
    expect(changes.map((c) => `${c.action} ${c.image}`)).toEqual([
      `insert ${iso}`,
      `eject ${iso}`,
      'insert http://127.0.0.1:9/other.iso',
      'eject http://127.0.0.1:9/other.iso',
    ]);
  });
});
