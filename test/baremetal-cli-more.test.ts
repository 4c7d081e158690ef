// Drives the Ironic endpoints around the node lifecycle (ports' boolean flags, VIFs, BIOS, RAID,
// vendor passthru, console, volume) with the real `baremetal` CLI (python-ironicclient), each
// checked by its effect read back through the API or by the CLI's exact output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAID_LOGICAL_DISK_PROPERTIES } from '@ingot/contracts';
import { Installation } from '@ingot/lab';
import { runBaremetal, outputOf } from './support/baremetal-cli.js';

/** ironicclient 5.x negotiates 1.78 (its maximum); a fixed version keeps the test independent of the client's release. */
const API_VERSION = '1.78';
const V = { 'X-OpenStack-Ironic-API-Version': API_VERSION };

describe('the real baremetal CLI on ports, VIFs and the optional interfaces', () => {
  let system: Installation;
  let uuid: string;
  let ports: string[];

  const run = (args: string[]) =>
    runBaremetal(system.apiUrl, args, {
      apiVersion: API_VERSION,
      settings: { OS_AUTH_TYPE: 'none' },
    });
  /** Runs a command that must succeed, and returns its output. */
  const bm = async (...args: string[]) => {
    return outputOf(args, await run(args));
  };
  // The CLI's `-f json` output is loosely typed by nature.
  const bmJson = async (...args: string[]): Promise<any> =>
    JSON.parse(await bm(...args, '-f', 'json'));
  const apiPort = async (port: string) =>
    (await system.api('GET', `/v1/ports/${port}`, undefined, V)).body;

  beforeAll(async () => {
    system = await Installation.start();
    uuid = (await bmJson('node', 'create', '--driver', 'fake-hardware', '--name', 'cli-more')).uuid;
    ports = [];
    for (const address of ['52:54:00:cc:00:01', '52:54:00:cc:00:02'])
      ports.push((await bmJson('port', 'create', '--node', uuid, address)).uuid);
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  });

  it('port set --pxe-disabled and --is-smartnic store booleans; --pxe-enabled turns PXE back on', async () => {
    const [port] = ports;
    await bm('port', 'set', port!, '--pxe-disabled');
    expect(await apiPort(port!)).toMatchObject({ pxe_enabled: false, is_smartnic: false });
    await bm('port', 'set', port!, '--is-smartnic');
    expect(await apiPort(port!)).toMatchObject({ pxe_enabled: false, is_smartnic: true });
    const shown = await bmJson('port', 'show', port!, '--fields', 'pxe_enabled', 'is_smartnic');
    expect(shown).toEqual({ pxe_enabled: false, is_smartnic: true });

    // Back to a plain PXE port, so that the VIF test below has two usable ports.
    await bm('port', 'set', port!, '--pxe-enabled');
    await system.api('PATCH', `/v1/ports/${port}`, [
      { op: 'replace', path: '/is_smartnic', value: false },
    ]);
    expect(await apiPort(port!)).toMatchObject({ pxe_enabled: true, is_smartnic: false });
  });

  it('node vif attach / list / detach record the VIF on a port', async () => {
    await bm('node', 'vif', 'attach', 'cli-more', 'vif-one');
    expect((await apiPort(ports[0]!)).internal_info).toEqual({ tenant_vif_port_id: 'vif-one' });
    await bm('node', 'vif', 'attach', 'cli-more', 'vif-two', '--port-uuid', ports[1]!);
    expect((await apiPort(ports[1]!)).internal_info).toEqual({ tenant_vif_port_id: 'vif-two' });

    expect(await bmJson('node', 'vif', 'list', 'cli-more')).toEqual([
      { ID: 'vif-one' },
      { ID: 'vif-two' },
    ]);

    const full = await run(['node', 'vif', 'attach', 'cli-more', 'vif-three']);
    expect(full.code).not.toBe(0);
    expect(full.stderr).toContain(
      'Unable to attach VIF vif-three, not enough free physical ports.',
    );

    await bm('node', 'vif', 'detach', 'cli-more', 'vif-one');
    expect((await apiPort(ports[0]!)).internal_info).toEqual({});
    expect(await bmJson('node', 'vif', 'list', 'cli-more')).toEqual([{ ID: 'vif-two' }]);
    const gone = await run(['node', 'vif', 'detach', 'cli-more', 'vif-one']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain(
      `Unable to detach VIF vif-one from node ${uuid} because it is not attached to it.`,
    );
  });

  it('node bios setting list is empty; a setting is not found', async () => {
    expect(await bmJson('node', 'bios', 'setting', 'list', 'cli-more')).toEqual([]);
    expect(await bmJson('node', 'bios', 'setting', 'list', 'cli-more', '--long')).toEqual([]);
    const one = await run(['node', 'bios', 'setting', 'show', 'cli-more', 'BootMode']);
    expect(one.code).not.toBe(0);
    expect(one.stderr).toContain(`Node ${uuid} doesn't have a BIOS setting 'BootMode'`);
  });

  it('driver raid property list shows the logical disk properties', async () => {
    const listed = await bmJson('driver', 'raid', 'property', 'list', 'redfish');
    expect(listed).toEqual(
      Object.entries(RAID_LOGICAL_DISK_PROPERTIES)
        // Python's sorted(): by code point.
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([Property, Description]) => ({ Property, Description })),
    );
  });

  it('node set --target-raid-config: {} is accepted, a real configuration refused by no-raid', async () => {
    await bm('node', 'set', 'cli-more', '--target-raid-config', '{}');
    const refused = await run([
      ...['node', 'set', 'cli-more', '--target-raid-config'],
      '{"logical_disks": [{"size_gb": 100, "raid_level": "1"}]}',
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'Driver fake-hardware does not support raid (disabled or not implemented).',
    );
    expect(
      (await system.api('GET', `/v1/nodes/${uuid}`, undefined, V)).body.target_raid_config,
    ).toEqual({});
  });

  it('node passthru list and driver passthru list show no methods', async () => {
    expect(await bmJson('node', 'passthru', 'list', 'cli-more')).toEqual([]);
    expect(await bmJson('driver', 'passthru', 'list', 'ipmi')).toEqual([]);
  });

  it('node console show: off; console enable: refused by no-console', async () => {
    expect(await bmJson('node', 'console', 'show', 'cli-more')).toEqual({
      console_enabled: false,
      console_info: null,
    });
    const enable = await run(['node', 'console', 'enable', 'cli-more']);
    expect(enable.code).not.toBe(0);
    expect(enable.stderr).toContain(
      'Driver fake-hardware does not support console (disabled or not implemented).',
    );
  });

  it('volume connector list and volume target list are empty; creating a connector is refused', async () => {
    expect(await bmJson('volume', 'connector', 'list')).toEqual([]);
    expect(await bmJson('volume', 'connector', 'list', '--node', 'cli-more', '--long')).toEqual([]);
    expect(await bmJson('volume', 'target', 'list')).toEqual([]);
    const created = await run([
      ...['volume', 'connector', 'create', '--node', uuid],
      ...['--type', 'iqn', '--connector-id', 'iqn.2026-01.org.example:cli-more'],
    ]);
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('Ingot keeps no volume connectors');
  });

  it('deploy template create / list / show / set / delete', async () => {
    const steps = [
      {
        interface: 'bios',
        step: 'apply_configuration',
        args: { settings: [{ name: 'LogicalProc', value: 'Enabled' }] },
        priority: 150,
      },
    ];
    const created = await bmJson(
      ...['deploy', 'template', 'create', 'CUSTOM_CLI_HT_ON'],
      ...['--steps', JSON.stringify(steps), '--extra', 'team=metal'],
    );
    expect(created).toMatchObject({ name: 'CUSTOM_CLI_HT_ON', steps, extra: { team: 'metal' } });
    expect(await bmJson('deploy', 'template', 'list')).toEqual([
      { UUID: created.uuid, Name: 'CUSTOM_CLI_HT_ON' },
    ]);
    expect(await bmJson('deploy', 'template', 'show', 'CUSTOM_CLI_HT_ON')).toMatchObject({
      uuid: created.uuid,
      steps,
    });
    await bm('deploy', 'template', 'set', 'CUSTOM_CLI_HT_ON', '--name', 'CUSTOM_CLI_HT');
    expect((await bmJson('deploy', 'template', 'show', created.uuid)).name).toBe('CUSTOM_CLI_HT');
    const invalid = await run(['deploy', 'template', 'create', 'not_a_trait', '--steps', '[]']);
    expect(invalid.code).not.toBe(0);
    await bm('deploy', 'template', 'delete', 'CUSTOM_CLI_HT');
    expect(await bmJson('deploy', 'template', 'list')).toEqual([]);
  });

  it('chassis create / list / show, node set --chassis-uuid, chassis delete refused while it has nodes', async () => {
    const chassis = await bmJson('chassis', 'create', '--description', 'cli rack');
    expect(await bmJson('chassis', 'list')).toEqual([
      { UUID: chassis.uuid, Description: 'cli rack' },
    ]);
    expect(await bmJson('chassis', 'show', chassis.uuid)).toMatchObject({
      description: 'cli rack',
    });
    await bm('node', 'set', 'cli-more', '--chassis-uuid', chassis.uuid);
    expect((await bmJson('node', 'show', 'cli-more')).chassis_uuid).toBe(chassis.uuid);
    expect(
      (await bmJson('node', 'list', '--chassis', chassis.uuid)).map(
        (n: { Name: string }) => n.Name,
      ),
    ).toEqual(['cli-more']);
    const refused = await run(['chassis', 'delete', chassis.uuid]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`chassis ${chassis.uuid} contains nodes`);
    await bm('node', 'unset', 'cli-more', '--chassis-uuid');
    await bm('chassis', 'delete', chassis.uuid);
    expect(await bmJson('chassis', 'list')).toEqual([]);
  });

  it('allocation create / show / delete: no available node of the class gives an allocation in error', async () => {
    const created = await bmJson(
      ...['allocation', 'create', '--resource-class', 'cli-none', '--name', 'cli-alloc'],
    );
    expect(created).toMatchObject({ name: 'cli-alloc', state: 'error', node_uuid: null });
    expect(created.last_error).toContain('no available nodes match the resource class cli-none');
    const waited = await run([
      'allocation',
      'create',
      '--resource-class',
      'cli-none',
      '--wait',
      '5',
    ]);
    expect(waited.code).not.toBe(0);
    expect(waited.stderr).toContain('no available nodes match the resource class cli-none');
    expect((await bmJson('allocation', 'show', 'cli-alloc')).uuid).toBe(created.uuid);
    await bm('allocation', 'delete', 'cli-alloc');
    const gone = await run(['allocation', 'show', 'cli-alloc']);
    expect(gone.code).not.toBe(0);
  });
});
