import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeDriverConnections, loadHardware } from '../src/index.js';
import { bmcError, cleanUp, driverInfoFor, redfish, startBmc } from './lab-bmc.js';
import { startStubBmc } from './stub-bmc.js';

afterEach(cleanUp);
afterAll(closeDriverConnections);

const SYSTEM = '/redfish/v1/Systems/1';

/**
 * A BMC whose system takes every PATCH (204) and keeps showing `boot`: one that applies a boot
 * mode only at the next boot, or never shows one.
 */
async function stubbornBmc(boot: Record<string, unknown>) {
  const patches: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'PATCH') {
        patches.push(JSON.parse(body));
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ '@odata.id': SYSTEM, PowerState: 'On', Boot: boot }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    patches,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const stubDriverInfo = (url: string) => ({ redfish_address: url, redfish_system_id: SYSTEM });

describe('redfish boot mode (Boot.BootSourceOverrideMode)', () => {
  it('reads UEFI, sets Legacy and back, each read back from the BMC; nothing sent when already set', async () => {
    const bmc = await startBmc();
    const { management } = redfish(driverInfoFor(bmc));
    expect(await management.getBootMode()).toBe('uefi');
    expect(await management.setBootMode('bios')).toBe('bios');
    expect(bmc.state.boot.mode).toBe('Legacy');
    expect(await management.getBootMode()).toBe('bios');
    expect(await management.setBootMode('uefi')).toBe('uefi');
    expect(bmc.state.boot.mode).toBe('UEFI');

    const before = bmc.state.requestCount;
    expect(await management.setBootMode('uefi')).toBe('uefi');
    expect(bmc.state.requestCount - before).toBe(1);
  });

  it('changes only the mode: the boot override stays as it was', async () => {
    const bmc = await startBmc();
    const { management } = redfish(driverInfoFor(bmc));
    await management.setBootDevice('pxe', { persistent: true });
    await management.setBootMode('bios');
    expect(bmc.state.boot).toEqual({ enabled: 'Continuous', target: 'Pxe', mode: 'Legacy' });
  });

  it('a BMC that takes the mode but still shows the old one is an error saying so', async () => {
    const stub = await stubbornBmc({ BootSourceOverrideMode: 'UEFI' });
    try {
      const hardware = loadHardware({
        driver: 'redfish',
        driverInfo: stubDriverInfo(stub.url),
        nodeUuid: 'n',
      });
      const error = await bmcError(() => hardware.management.setBootMode('bios'), 'protocol');
      expect(error.message).toMatch(
        /^BMC at 127\.0\.0\.1:\d+ accepted BootSourceOverrideMode Legacy on \/redfish\/v1\/Systems\/1 but still reports UEFI/,
      );
      expect(stub.patches).toEqual([{ Boot: { BootSourceOverrideMode: 'Legacy' } }]);
      await hardware.close();
    } finally {
      await stub.stop();
    }
  });

  it('a BMC that shows no mode: taken at its word when it accepts, unsupported when it refuses', async () => {
    const silent = await stubbornBmc({ BootSourceOverrideTarget: 'None' });
    try {
      const hardware = loadHardware({
        driver: 'redfish',
        driverInfo: stubDriverInfo(silent.url),
        nodeUuid: 'n',
      });
      expect(await hardware.management.getBootMode()).toBeNull();
      expect(await hardware.management.setBootMode('bios')).toBe('bios');
      await hardware.close();
    } finally {
      await silent.stop();
    }

    // GET only: the PATCH is answered 404.
    const refusing = await startStubBmc({
      [SYSTEM]: { '@odata.id': SYSTEM, Boot: { BootSourceOverrideTarget: 'None' } },
    });
    try {
      const hardware = loadHardware({
        driver: 'redfish',
        driverInfo: stubDriverInfo(refusing.url),
        nodeUuid: 'n',
      });
      const error = await bmcError(() => hardware.management.setBootMode('bios'), 'unsupported');
      expect(error.message).toMatch(/shows no Boot\.BootSourceOverrideMode .* refused to set it/);
      await hardware.close();
    } finally {
      await refusing.stop();
    }
  });

  it('a mode the BMC does not list is unsupported, and nothing is sent', async () => {
    const stub = await stubbornBmc({
      BootSourceOverrideMode: 'UEFI',
      'BootSourceOverrideMode@Redfish.AllowableValues': ['UEFI'],
    });
    try {
      const hardware = loadHardware({
        driver: 'redfish',
        driverInfo: stubDriverInfo(stub.url),
        nodeUuid: 'n',
      });
      const error = await bmcError(() => hardware.management.setBootMode('bios'), 'unsupported');
      expect(error.message).toMatch(/cannot boot \/redfish\/v1\/Systems\/1 in Legacy mode/);
      expect(stub.patches).toEqual([]);
      await hardware.close();
    } finally {
      await stub.stop();
    }
  });
});

describe('NMI (ComputerSystem.Reset Nmi; ipmitool chassis power diag)', () => {
  it('redfish: a Reset with ResetType Nmi, which changes no power state', async () => {
    const bmc = await startBmc({ power: 'On' });
    const { management } = redfish(driverInfoFor(bmc));
    await management.injectNmi();
    expect(bmc.state.resets).toEqual(['Nmi']);
    expect(bmc.state.power).toBe('On');
  });

  it('redfish: a BMC that does not offer Nmi is unsupported, naming what it offers', async () => {
    const stub = await startStubBmc({
      [SYSTEM]: {
        '@odata.id': SYSTEM,
        Actions: {
          '#ComputerSystem.Reset': {
            target: `${SYSTEM}/Actions/ComputerSystem.Reset`,
            'ResetType@Redfish.AllowableValues': ['On', 'ForceOff'],
          },
        },
      },
    });
    try {
      const hardware = loadHardware({
        driver: 'redfish',
        driverInfo: stubDriverInfo(stub.url),
        nodeUuid: 'n',
      });
      const error = await bmcError(() => hardware.management.injectNmi(), 'unsupported');
      expect(error.message).toMatch(/does not offer ResetType Nmi \(it offers On, ForceOff\)/);
      expect(stub.requests.filter((r) => r.path.includes('ComputerSystem.Reset'))).toEqual([]);
      await hardware.close();
    } finally {
      await stub.stop();
    }
  });

  it('fake-hardware has neither boot mode nor NMI, in the words of Ironic fake management', async () => {
    const { management } = loadHardware({ driver: 'fake-hardware', driverInfo: {}, nodeUuid: 'f' });
    const nmi = await bmcError(() => management.injectNmi(), 'unsupported');
    expect(nmi.message).toBe(
      'Driver fake-hardware does not support inject_nmi (disabled or not implemented).',
    );
    await bmcError(() => management.setBootMode('uefi'), 'unsupported');
    await bmcError(() => management.getBootMode(), 'unsupported');
  });
});
