import { describe, expect, it } from 'vitest';
import type { HostFirmwareComponents, HostFirmwareSettings, SettingSchema } from '@ingot/metal3';
import type { BiosSettingRow } from '@ingot/store';
import { decide, type Desired } from '../src/decide.js';
import { componentUpdatesOf, componentsStatusOf } from '../src/firmware-components.js';
import { firmwareConfigSettings } from '../src/firmware-config.js';
import { settingChangesOf, settingsStatusOf } from '../src/firmware-settings.js';
import {
  raidCleanSteps,
  raidInterfaceFor,
  raidRecordOf,
  targetRaidConfigOf,
} from '../src/raid-target.js';
import type { NodeRow } from '@ingot/store';
import { schemaNameOf, settingProblem } from '../src/setting-schema.js';

const row = (name: string, value: string, more: Partial<BiosSettingRow> = {}): BiosSettingRow => ({
  nodeUuid: '00000000-0000-0000-0000-000000000001',
  name,
  value,
  attributeType: 'Enumeration',
  allowableValues: ['Enabled', 'Disabled'],
  lowerBound: null,
  upperBound: null,
  minLength: null,
  maxLength: null,
  readOnly: false,
  resetRequired: true,
  unique: null,
  createdAt: new Date(),
  updatedAt: null,
  ...more,
});

describe('FirmwareSchema', () => {
  it("names a schema as baremetal-operator does (its own test fixture's hash)", () => {
    // internal/controller/metal3.io/hostfirmwaresettings_test.go: schema-4bcc035f.
    const text = (extra: SettingSchema): SettingSchema => ({
      attribute_type: 'String',
      min_length: 0,
      max_length: 20,
      ...extra,
    });
    const schema: Record<string, SettingSchema> = {
      AssetTag: text({ unique: true }),
      CustomPostMessage: text({ unique: false, read_only: false }),
      L2Cache: text({ read_only: true }),
      NetworkBootRetryCount: {
        attribute_type: 'Integer',
        lower_bound: 0,
        upper_bound: 20,
        read_only: false,
      },
      ProcVirtualization: {
        attribute_type: 'Enumeration',
        allowable_values: ['Enabled', 'Disabled'],
        read_only: false,
      },
      SecureBoot: {
        attribute_type: 'Enumeration',
        allowable_values: ['Enabled', 'Disabled'],
        read_only: true,
      },
    };
    expect(schemaNameOf(schema)).toBe('schema-4bcc035f');
  });

  it("validates values as Metal3's SettingSchema.Validate", () => {
    const integer: SettingSchema = { attribute_type: 'Integer', lower_bound: 0, upper_bound: 60 };
    expect(settingProblem('T', 10, integer)).toBeUndefined();
    expect(settingProblem('T', '10', integer)).toBeUndefined();
    expect(settingProblem('T', 61, integer)).toMatch(/above maximum value 60/);
    expect(settingProblem('T', 'ten', integer)).toMatch(/integer expected/);
    expect(
      settingProblem('E', 'Maybe', { attribute_type: 'Enumeration', allowable_values: ['On'] }),
    ).toMatch(/unknown enumeration value - Maybe/);
    expect(settingProblem('R', 'x', { attribute_type: 'String', read_only: true })).toMatch(
      /ReadOnly/,
    );
    expect(settingProblem('U', 'x', undefined)).toMatch(/not in the associated schema/);
  });
});

describe('HostFirmwareSettings', () => {
  const rows = [
    row('ProcTurboMode', 'Enabled'),
    row('AdminPassword', '', { attributeType: 'Password' }),
  ];
  const hfs = (settings: Record<string, string | number>): HostFirmwareSettings => ({
    metadata: { name: 'h', namespace: 'n', generation: 3 },
    spec: { settings },
  });
  const ref = { namespace: 'n', name: 'schema-x' };
  const schema = {
    ProcTurboMode: {
      attribute_type: 'Enumeration' as const,
      allowable_values: ['Enabled', 'Disabled'],
    },
  };

  it('shows the settings but passwords; no change: Valid, no ChangeDetected, nothing to apply', () => {
    const object = hfs({});
    object.status = settingsStatusOf(object, rows, ref, schema);
    expect(object.status.settings).toEqual({ ProcTurboMode: 'Enabled' });
    expect(object.status.conditions?.map((c) => [c.type, c.status, c.observedGeneration])).toEqual([
      ['Valid', 'True', 3],
      ['ChangeDetected', 'False', 3],
    ]);
    expect(settingChangesOf(object)).toEqual([]);
  });

  it('a valid change is applied; an invalid one is not, and says why', () => {
    const good = hfs({ ProcTurboMode: 'Disabled' });
    good.status = settingsStatusOf(good, rows, ref, schema);
    expect(settingChangesOf(good)).toEqual([{ name: 'ProcTurboMode', value: 'Disabled' }]);
    const bad = hfs({ ProcTurboMode: 'Sometimes', Unknown: 1 });
    bad.status = settingsStatusOf(bad, rows, ref, schema);
    expect(bad.status.conditions?.find((c) => c.type === 'Valid')).toMatchObject({
      status: 'False',
      reason: 'ConfigurationError',
      message: expect.stringMatching(/Sometimes.*Unknown is not in the Status field/),
    });
    expect(settingChangesOf(bad)).toEqual([]);
    // A condition observed for an older generation is not acted on.
    good.metadata!.generation = 4;
    expect(settingChangesOf(good)).toEqual([]);
  });
});

describe('HostFirmwareComponents', () => {
  const hfc = (
    updates: { component: string; url: string }[],
    applied?: typeof updates,
  ): HostFirmwareComponents => ({
    metadata: { name: 'h', namespace: 'n', generation: 1 },
    spec: { updates },
    ...(applied ? { status: { updates: applied } } : {}),
  });
  const bios = { component: 'bios', url: 'http://127.0.0.1/bios-2.11.0.bin' };

  it('updates the spec adds are started; those already started are not', () => {
    const object = hfc([bios]);
    object.status = componentsStatusOf(object, []);
    expect(componentUpdatesOf(object)).toEqual([bios]);
    const started = hfc([bios], [bios]);
    started.status = componentsStatusOf(started, []);
    expect(started.status.conditions?.find((c) => c.type === 'ChangeDetected')?.status).toBe(
      'False',
    );
    expect(componentUpdatesOf(started)).toEqual([]);
  });

  it('refuses components Metal3 does not know', () => {
    const object = hfc([{ component: 'psu', url: 'http://127.0.0.1/psu.bin' }]);
    object.status = componentsStatusOf(object, []);
    expect(object.status.conditions?.find((c) => c.type === 'Valid')).toMatchObject({
      status: 'False',
      reason: 'InvalidComponent',
    });
    expect(componentUpdatesOf(object)).toEqual([]);
  });
});

describe('spec.firmware and spec.raid', () => {
  it("spec.firmware takes the names and values of the server's BIOS registry", () => {
    const rows = [
      row('LogicalProc', 'Enabled'),
      row('SriovGlobalEnable', 'Disabled'),
      row('ProcVirtualization', 'Enabled'),
    ];
    expect(
      firmwareConfigSettings(
        {
          simultaneousMultithreadingEnabled: false,
          sriovEnabled: true,
          virtualizationEnabled: true,
        },
        rows,
      ),
    ).toEqual([
      { name: 'LogicalProc', value: 'Disabled' },
      { name: 'SriovGlobalEnable', value: 'Enabled' },
      { name: 'ProcVirtualization', value: 'Enabled' },
    ]);
    expect(() => firmwareConfigSettings({ sriovEnabled: true }, [])).toThrow(
      /spec.firmware.sriovEnabled cannot be applied/,
    );
  });

  it('hardware volumes become target_raid_config and delete + create, once', () => {
    const raid = {
      hardwareRAIDVolumes: [
        { level: '1' as const, name: 'root', controller: '1', physicalDisks: ['Disk0', 'Disk1'] },
        { level: '0' as const, sizeGibibytes: 100, rotational: true },
      ],
    };
    expect(targetRaidConfigOf(raid, false).logical_disks).toEqual([
      {
        size_gb: 'MAX',
        raid_level: '1',
        volume_name: 'root',
        controller: '1',
        physical_disks: ['Disk0', 'Disk1'],
        is_root_volume: true,
      },
      { size_gb: 100, raid_level: '0', disk_type: 'hdd' },
    ]);
    expect(targetRaidConfigOf(raid, true).logical_disks[0]!.is_root_volume).toBeUndefined();
    expect(raidCleanSteps(raid, undefined).map((s) => s.step)).toEqual([
      'delete_configuration',
      'create_configuration',
    ]);
    expect(raidCleanSteps(raid, raid)).toEqual([]);
    expect(raidCleanSteps({ hardwareRAIDVolumes: [] }, raid).map((s) => s.step)).toEqual([
      'delete_configuration',
    ]);
    expect(() =>
      targetRaidConfigOf(
        { hardwareRAIDVolumes: [{ level: '1', physicalDisks: ['Disk0'] }] },
        false,
      ),
    ).toThrow(/'controller' must be specified/);
    // No spec keeps the hardware volumes built, as baremetal-operator does.
    expect(raidRecordOf(undefined, raid)).toEqual({
      hardwareRAIDVolumes: raid.hardwareRAIDVolumes,
      softwareRAIDVolumes: [],
    });
    expect(raidRecordOf(undefined, undefined)).toBeUndefined();
  });
});

describe('spec.raid software volumes (the agent raid interface)', () => {
  const software = {
    softwareRAIDVolumes: [
      {
        level: '1' as const,
        physicalDisks: [{ deviceName: '/dev/vda' }, { deviceName: '/dev/vdb' }],
      },
      { level: '0' as const, sizeGibibytes: 10, rootVolume: false },
    ],
  };
  const redfish = { driver: 'redfish', raidInterface: null } as unknown as NodeRow;

  it("become controller 'software' logical disks, the first the root without hints", () => {
    expect(targetRaidConfigOf(software, false).logical_disks).toEqual([
      {
        size_gb: 'MAX',
        raid_level: '1',
        controller: 'software',
        is_root_volume: true,
        physical_disks: [{ name: '/dev/vda' }, { name: '/dev/vdb' }],
      },
      { size_gb: 10, raid_level: '0', controller: 'software', is_root_volume: false },
    ]);
    expect(targetRaidConfigOf(software, true).logical_disks[0]!.is_root_volume).toBe(false);
    expect(() =>
      targetRaidConfigOf({ softwareRAIDVolumes: [{ level: '0' as const }] }, false),
    ).toThrow('the level in first volume of software raid must be RAID1');
  });

  it('run with raid_interface agent: delete, erase the metadata, create; delete alone to remove', () => {
    expect(raidInterfaceFor(redfish, software, undefined)).toEqual({ raidInterface: 'agent' });
    expect(raidInterfaceFor(redfish, { softwareRAIDVolumes: [] }, software)).toEqual({
      raidInterface: 'agent',
    });
    expect(raidInterfaceFor(redfish, undefined, undefined)).toEqual({ raidInterface: 'redfish' });
    expect(
      raidInterfaceFor(
        { ...redfish, raidInterface: 'agent' } as NodeRow,
        { hardwareRAIDVolumes: [{ level: '1' as const }] },
        undefined,
      ),
    ).toEqual({
      problem:
        "hardware RAID settings are defined, but the node's driver agent only supports software RAID",
    });
    expect(
      raidInterfaceFor(
        { driver: 'ipmi', raidInterface: null } as unknown as NodeRow,
        { hardwareRAIDVolumes: [{ level: '1' as const }] },
        undefined,
      ),
    ).toEqual({
      problem: "RAID settings are defined, but the node's driver no-raid does not support RAID",
    });
    expect(raidCleanSteps(software, undefined)).toEqual([
      { interface: 'raid', step: 'delete_configuration' },
      { interface: 'deploy', step: 'erase_devices_metadata' },
      { interface: 'raid', step: 'create_configuration' },
    ]);
    expect(raidCleanSteps(software, software)).toEqual([]);
    expect(raidCleanSteps({ softwareRAIDVolumes: [] }, software).map((s) => s.step)).toEqual([
      'delete_configuration',
      'erase_devices_metadata',
    ]);
    expect(raidCleanSteps({ softwareRAIDVolumes: [] }, undefined)).toEqual([]);
  });
});

describe('decide with hardware configuration', () => {
  const desired = (more: Partial<Desired> = {}): Desired => ({
    deleting: false,
    externallyProvisioned: false,
    hasImage: false,
    online: true,
    inspectDisabled: false,
    reinspect: false,
    rebootMode: undefined,
    credentialsVersion: '1',
    ...more,
  });
  const node = (provisionState: string, more: Record<string, unknown> = {}) =>
    ({
      provisionState,
      targetProvisionState: null,
      powerState: 'power off',
      targetPowerState: null,
      maintenance: false,
      fault: null,
      lastError: null,
      extra: {},
      ...more,
    }) as never;

  it('prepares a manageable host before it is available or provisioned; a manual clean is preparing', () => {
    expect(decide(desired({ prepare: true, hasImage: true }), node('manageable'), true)).toEqual({
      state: 'preparing',
      step: { kind: 'prepare' },
    });
    expect(decide(desired({ prepare: true }), node('available'), true).step).toEqual({
      kind: 'verb',
      verb: 'manage',
    });
    expect(
      decide(desired(), node('clean wait', { targetProvisionState: 'manageable' }), true).state,
    ).toBe('preparing');
    expect(
      decide(
        desired(),
        node('clean failed', { targetProvisionState: 'manageable', lastError: 'boom' }),
        true,
      ),
    ).toMatchObject({ state: 'preparing', error: { type: 'preparation error', message: 'boom' } });
    expect(decide(desired({ prepareProblem: 'no RAID' }), node('manageable'), true)).toMatchObject({
      state: 'preparing',
      error: { type: 'preparation error', message: 'no RAID' },
      step: { kind: 'wait' },
    });
  });

  it('services a provisioned host only when it is off and should be on', () => {
    const active = desired({ hasImage: true, service: true });
    expect(decide(active, node('active'), true)).toMatchObject({
      state: 'provisioned',
      operational: 'servicing',
      step: { kind: 'service' },
    });
    expect(decide(active, node('active', { powerState: 'power on' }), true).step).toEqual({
      kind: 'wait',
    });
    expect(
      decide(active, node('service wait', { targetProvisionState: 'active' }), true),
    ).toMatchObject({
      operational: 'servicing',
      step: { kind: 'wait' },
    });
    expect(
      decide(desired({ hasImage: true }), node('service failed', { lastError: 'x' }), true).step,
    ).toEqual({
      kind: 'verb',
      verb: 'abort',
    });
  });
});
