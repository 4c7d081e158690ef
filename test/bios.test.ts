// BIOS settings over Redfish end to end: cached when a node is managed, changed by the bios
// interface's clean steps (apply_configuration, factory_reset) that take effect at the next boot,
// shown by /v1/nodes/{node}/bios, with the API and with the real `baremetal` CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, waitFor, type Fleet } from '@ingot/lab';
import { succeedingBaremetal } from './support/baremetal-cli.js';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

const API_VERSION = '1.95';

describe('BIOS settings over Redfish', () => {
  let system: Installation;
  let fleet: Fleet;
  let hosts: ServerHost[];

  beforeAll(async () => {
    fleet = await startFleet({ count: 3, powerDelayMs: 50 });
    system = await Installation.start({ LOG_LEVEL: 'info' });
    hosts = await Promise.all(
      fleet.servers.map((s) => ServerHost.create(s, { workDir: system.workDir })),
    );
  }, 120_000);
  afterAll(async () => {
    await Promise.all((hosts ?? []).map((h) => h.stop()));
    await system?.stop();
    await fleet?.stop();
  });

  async function manageable(index: number): Promise<string> {
    const uuid = await enroll(system, fleet.servers[index]!);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    return uuid;
  }

  const baremetal = succeedingBaremetal(() => system.apiUrl, API_VERSION);

  const cleanFinished = (uuid: string, state: 'manageable' | 'clean failed') =>
    waitFor(
      `node ${uuid} ${state} after its clean`,
      async () => {
        const node = await getNode(system, uuid);
        // A failed clean keeps its target (manageable), as Ironic's; a finished one has none.
        const settled = state === 'clean failed' || node.target_provision_state === null;
        return node.provision_state === state && settled ? node : undefined;
      },
      90_000,
    );

  it('managing a node caches its settings with their registry; the list and a setting read them', async () => {
    const uuid = await manageable(0);
    const list = await system.api('GET', `/v1/nodes/${uuid}/bios`);
    expect(list.status).toBe(200);
    const byName = Object.fromEntries(list.body.bios.map((s: any) => [s.name, s]));
    expect(byName.ProcTurboMode).toMatchObject({ name: 'ProcTurboMode', value: 'Enabled' });
    expect(Object.keys(byName.ProcTurboMode).sort()).toEqual(
      ['created_at', 'links', 'name', 'updated_at', 'value'].sort(),
    );
    const detail = await system.api('GET', `/v1/nodes/${uuid}/bios?detail=True`);
    const turbo = detail.body.bios.find((s: any) => s.name === 'ProcTurboMode');
    expect(turbo).toMatchObject({
      attribute_type: 'Enumeration',
      allowable_values: expect.arrayContaining(['Enabled', 'Disabled']),
      read_only: false,
    });
    const timeout = detail.body.bios.find((s: any) => s.name === 'BootTimeoutSeconds');
    expect(timeout).toMatchObject({ attribute_type: 'Integer', lower_bound: 0, upper_bound: 60 });
    const one = await system.api('GET', `/v1/nodes/${uuid}/bios/SystemServiceTag`);
    expect(one.status).toBe(200);
    expect(one.body.SystemServiceTag).toMatchObject({ read_only: true });
    const unknown = await system.api('GET', `/v1/nodes/${uuid}/bios/NoSuchSetting`);
    expect(unknown.status).toBe(404);

    // The real CLI reads the same.
    const listed = JSON.parse(
      await baremetal('node', 'bios', 'setting', 'list', uuid, '-f', 'json'),
    );
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          'BIOS setting name': 'ProcTurboMode',
          'BIOS setting value': 'Enabled',
        }),
      ]),
    );
    const shown = JSON.parse(
      await baremetal('node', 'bios', 'setting', 'show', uuid, 'BootTimeoutSeconds', '-f', 'json'),
    );
    expect(shown).toMatchObject({ name: 'BootTimeoutSeconds', upper_bound: 60 });
  });

  it('apply_configuration (real CLI: node clean --clean-steps) takes effect at the next boot, then reads back', async () => {
    const uuid = await manageable(1);
    const bmc = fleet.servers[1]!.bmc;
    const steps = [
      {
        interface: 'bios',
        step: 'apply_configuration',
        args: {
          settings: [
            { name: 'ProcTurboMode', value: 'Disabled' },
            { name: 'BootTimeoutSeconds', value: '10' },
          ],
        },
      },
      { interface: 'deploy', step: 'erase_devices_metadata' },
    ];
    await baremetal('node', 'clean', uuid, '--clean-steps', JSON.stringify(steps));
    // While the server restarts into the ramdisk, the node shows the step it is at.
    const during = await waitFor(`node ${uuid} at its BIOS step`, async () => {
      const n = await getNode(system, uuid);
      return n.clean_step?.step === 'apply_configuration' ? n : undefined;
    });
    expect(during.clean_step).toMatchObject({ interface: 'bios', step: 'apply_configuration' });
    const node = await cleanFinished(uuid, 'manageable');
    expect(node.clean_step).toEqual({});
    expect(node.last_error).toBeNull();
    expect(bmc.state.bios.current).toMatchObject({
      ProcTurboMode: 'Disabled',
      BootTimeoutSeconds: 10,
    });
    expect(bmc.state.bios.pending).toEqual({});
    const events = (
      (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[]
    ).map((h) => h.event as string);
    const at = (text: string) => events.findIndex((e) => e.startsWith(text));
    // In order: staged, the ramdisk booted again for it, checked, then the agent's step.
    const order = [
      'clean step apply_configuration started',
      'clean step apply_configuration needs a restart to take effect',
      'booting the agent ramdisk from virtual media for clean again: bios step apply_configuration takes effect at boot (boot 1 of at most',
      'clean step apply_configuration finished',
      'clean step erase_devices_metadata started',
      'clean step erase_devices_metadata finished',
    ].map(at);
    expect(
      order.every((i) => i >= 0),
      events.join('\n'),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const turbo = await system.api('GET', `/v1/nodes/${uuid}/bios/ProcTurboMode`);
    expect(turbo.body.ProcTurboMode.value).toBe('Disabled');
    const shown = JSON.parse(
      await baremetal('node', 'bios', 'setting', 'show', uuid, 'BootTimeoutSeconds', '-f', 'json'),
    );
    expect(shown.value).toBe('10');

    // factory_reset: the defaults come back at the next boot.
    await baremetal(
      'node',
      'clean',
      uuid,
      '--clean-steps',
      JSON.stringify([{ interface: 'bios', step: 'factory_reset' }]),
    );
    expect((await cleanFinished(uuid, 'manageable')).last_error).toBeNull();
    expect(bmc.state.bios.current).toMatchObject({
      ProcTurboMode: 'Enabled',
      BootTimeoutSeconds: 5,
    });
    const after = await system.api('GET', `/v1/nodes/${uuid}/bios/ProcTurboMode`);
    expect(after.body.ProcTurboMode.value).toBe('Enabled');
  });

  it('a setting the registry refuses fails the clean naming it, and nothing is staged', async () => {
    const uuid = await manageable(2);
    const bmc = fleet.servers[2]!.bmc;
    const res = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'clean',
      clean_steps: [
        {
          interface: 'bios',
          step: 'apply_configuration',
          args: {
            settings: [
              { name: 'ProcTurboMode', value: 'Disabled' },
              { name: 'BootTimeoutSeconds', value: 999 },
            ],
          },
        },
      ],
    });
    expect(res.status).toBe(202);
    const failed = await cleanFinished(uuid, 'clean failed');
    expect(failed.last_error).toMatch(/bios step apply_configuration failed: .*BootTimeoutSeconds/);
    expect(bmc.state.bios.pending).toEqual({});
    expect(bmc.state.bios.current).toMatchObject({ ProcTurboMode: 'Enabled' });

    // A step the node's interfaces do not have fails the clean saying which interface it has.
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'clean',
      clean_steps: [{ interface: 'raid', step: 'apply_raid_magic' }],
    });
    const refused = await cleanFinished(uuid, 'clean failed');
    expect(refused.last_error).toMatch(
      /raid step 'apply_raid_magic' is not supported by the node's raid_interface 'redfish'/,
    );
  });
});
