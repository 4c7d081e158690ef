import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeDriverConnections } from '../src/index.js';
import { bmcError, cleanUp, driverInfoFor, PASSWORD, redfish, startBmc } from './lab-bmc.js';

afterEach(cleanUp);
afterAll(closeDriverConnections);

const powerOn = (hardware: ReturnType<typeof redfish>) => hardware.power.setPowerState('power on');

describe('redfish bios', () => {
  it('reads every setting with its registry facts, as Ironic lists BIOS settings', async () => {
    const bmc = await startBmc();
    const settings = await redfish(driverInfoFor(bmc)).bios!.getSettings();
    expect(settings.BootMode).toEqual({
      name: 'BootMode',
      value: 'Uefi',
      attribute_type: 'Enumeration',
      allowable_values: ['Uefi', 'Bios'],
      lower_bound: null,
      upper_bound: null,
      min_length: null,
      max_length: null,
      read_only: false,
      reset_required: true,
      unique: null,
    });
    expect(settings.BootTimeoutSeconds).toMatchObject({
      value: 5,
      attribute_type: 'Integer',
      lower_bound: 0,
      upper_bound: 60,
    });
    expect(settings.AssetTag).toMatchObject({
      attribute_type: 'String',
      max_length: 16,
      unique: true,
    });
    expect(settings.SystemServiceTag).toMatchObject({ read_only: true });
    expect(settings.UsbPortsEnabled).toMatchObject({ value: true, attribute_type: 'Boolean' });
  });

  it('stages settings, converting Ironic string values, and they apply at the next boot', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc));
    const bios = hardware.bios!;
    const change = await bios.applySettings([
      { name: 'ProcTurboMode', value: 'Disabled' },
      { name: 'BootTimeoutSeconds', value: '30' },
      { name: 'WatchdogEnabled', value: 'true' },
    ]);
    expect(change).toEqual({
      staged: { ProcTurboMode: 'Disabled', BootTimeoutSeconds: 30, WatchdogEnabled: true },
      rebootRequired: true,
    });
    expect(await bios.pendingSettings()).toEqual({ settings: change.staged, factoryReset: false });
    expect((await bios.getSettings()).ProcTurboMode?.value).toBe('Enabled');

    await powerOn(hardware);
    expect(await bios.pendingSettings()).toEqual({ settings: {}, factoryReset: false });
    const after = await bios.getSettings();
    expect(after.ProcTurboMode?.value).toBe('Disabled');
    expect(after.BootTimeoutSeconds?.value).toBe(30);
    expect(after.WatchdogEnabled?.value).toBe(true);
  });

  it('refuses what the registry refuses, naming each setting, and sends nothing', async () => {
    const bmc = await startBmc();
    const { bios } = redfish(driverInfoFor(bmc));
    const before = bmc.state.requestCount;
    const error = await bmcError(
      () =>
        bios!.applySettings([
          { name: 'ProcTurboMode', value: 'Maybe' },
          { name: 'BootTimeoutSeconds', value: 99 },
          { name: 'SystemServiceTag', value: 'ABC' },
          { name: 'NoSuchSetting', value: 'x' },
          { name: 'AssetTag', value: 'x'.repeat(20) },
        ]),
      'invalid_config',
    );
    expect(error.message).toContain('ProcTurboMode: "Maybe" is not one of Enabled, Disabled');
    expect(error.message).toContain('BootTimeoutSeconds: 99 is outside 0..60');
    expect(error.message).toContain('SystemServiceTag: the setting is read-only');
    expect(error.message).toContain('NoSuchSetting: no such BIOS setting');
    expect(error.message).toContain('AssetTag: "xxxxxxxxxxxxxxxxxxxx" must be 0 to 16 characters');
    expect(error.message).toContain(`127.0.0.1:${bmc.port}`);
    expect(error.message).not.toContain(PASSWORD);
    expect(bmc.state.bios.pending).toEqual({});
    // Reads only (system, Bios, root, registries): no PATCH went out.
    expect(bmc.state.requestCount - before).toBeLessThanOrEqual(6);
  });

  it('factory reset waits for the next boot, then restores the defaults', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc));
    const bios = hardware.bios!;
    await bios.applySettings([{ name: 'SriovGlobalEnable', value: 'Enabled' }]);
    await powerOn(hardware);
    expect((await bios.getSettings()).SriovGlobalEnable?.value).toBe('Enabled');

    await bios.factoryReset();
    expect(await bios.pendingSettings()).toEqual({ settings: {}, factoryReset: true });
    await hardware.power.setPowerState('rebooting');
    expect((await bios.getSettings()).SriovGlobalEnable?.value).toBe('Disabled');
    expect((await bios.pendingSettings()).factoryReset).toBe(false);
  });

  it('a light BMC system without a Bios resource is unsupported, saying so', async () => {
    const { startLightBmcHost } = await import('../../../lab/src/index.js');
    const host = await startLightBmcHost({ count: 1, password: PASSWORD });
    try {
      const hardware = redfish({ ...host.driverInfo(0), redfish_auth_type: 'basic' });
      const error = await bmcError(() => hardware.bios!.getSettings(), 'unsupported');
      expect(error.message).toMatch(
        /has no Bios resource on .*: it cannot read or change BIOS settings/,
      );
    } finally {
      await host.stop();
    }
  });

  it('ipmi and fake-hardware have no bios interface', async () => {
    const { loadHardware } = await import('../src/index.js');
    expect(
      loadHardware({ driver: 'fake-hardware', driverInfo: {}, nodeUuid: 'n' }).bios,
    ).toBeUndefined();
    const ipmi = loadHardware({
      driver: 'ipmi',
      driverInfo: { ipmi_address: '127.0.0.1', ipmi_port: 9, ipmi_username: 'admin' },
      nodeUuid: 'n',
    });
    expect(ipmi.bios ?? ipmi.raid ?? ipmi.firmware).toBeUndefined();
  });
});
