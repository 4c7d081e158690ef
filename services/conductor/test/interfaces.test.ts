import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARDWARE_TYPES, implementationsOf, isNoopInterface } from '@ingot/contracts';
import { eq } from 'drizzle-orm';
import { allocations, ports } from '@ingot/store';
import { BmcCallError } from '../src/bmc-caller.js';
import { BOOT_INTERFACES } from '../src/interfaces/boot.js';
import { DEPLOY_INTERFACES, DRIVERS_RESUMED_IN_WAIT } from '../src/interfaces/deploy.js';
import { INSPECT_INTERFACES } from '../src/interfaces/inspect.js';
import { stepsInterfaceOf } from '../src/interfaces/steps.js';
import { runDeleting } from '../src/operations/delete.js';
import { runDeploying } from '../src/operations/deploy.js';
import { runInspecting } from '../src/operations/inspect.js';
import { bootRamdisk, tearDownRamdisk } from '../src/operations/ramdisk.js';
import { fakeContext, type FakeContext } from './support/fake-context.js';

describe('the interfaces the conductor runs', () => {
  it('every boot, deploy and inspect implementation a hardware type offers is registered', () => {
    const registered = {
      boot: BOOT_INTERFACES,
      deploy: DEPLOY_INTERFACES,
      inspect: INSPECT_INTERFACES,
    };
    for (const spec of Object.values(HARDWARE_TYPES)) {
      for (const [iface, table] of Object.entries(registered)) {
        for (const name of implementationsOf(spec, iface as keyof typeof registered))
          expect(Object.keys(table), `${spec.name} ${iface}_interface ${name}`).toContain(name);
      }
    }
    // So is every step interface (bios, raid) a hardware type names, unless it is a no-* one.
    for (const spec of Object.values(HARDWARE_TYPES)) {
      for (const iface of ['bios', 'raid'] as const) {
        const impl = spec.interfaces[iface];
        expect(stepsInterfaceOf({ driver: spec.name }, iface)?.name).toBe(
          isNoopInterface(impl) ? undefined : impl,
        );
      }
    }
    // Only a deploy interface without an agent is resumed in wait call-back.
    expect(DRIVERS_RESUMED_IN_WAIT).toEqual(['fake-hardware']);
  });
});

describe('conductor operations with a fake context (scratch database, recording BMC and image cache)', () => {
  let fake: FakeContext;
  beforeAll(async () => {
    fake = await fakeContext({ INGOT_BOOT_ATTEMPTS: '3' });
  });
  afterAll(async () => fake?.close());

  it('virtual media: a boot ISO with a fresh token is inserted, the CD booted once, the node powered on', async () => {
    fake.bmc.calls.length = 0;
    const uuid = await fake.node('deploying');
    await fake.leased(uuid, (leased) => bootRamdisk(fake.ctx, leased, 'deploy'));
    expect(fake.images.calls.map((c) => c.type)).toContain('image.boot_iso');
    const iso = fake.images.calls.at(-1)!;
    expect(iso.payload.agent_config).toMatchObject({
      node_uuid: uuid,
      api_url: 'http://127.0.0.1:6385',
    });
    expect((iso.payload.agent_config as Record<string, unknown>).agent_token).toEqual(
      expect.any(String),
    );
    expect(fake.bmc.calls).toEqual([
      {
        type: 'bmc.insert_media',
        payload: { url: `http://127.0.0.1:1/boot/${uuid}.iso`, device: 'cd' },
      },
      { type: 'bmc.set_boot_device', payload: { device: 'cdrom', persistent: false } },
      { type: 'bmc.get_power', payload: {} },
      { type: 'bmc.set_power', payload: { target: 'power on' } },
    ]);
    const row = await fake.row(uuid);
    expect(row.agentTokenPregenerated).toBe(true);
    expect(row.powerState).toBe('power on');
    expect((row.driverInternalInfo as Record<string, any>).ramdisk_boot).toMatchObject({
      purpose: 'deploy',
      attempt: 1,
      via: 'virtual media',
    });
    expect(await fake.history(uuid)).toEqual([
      'booting the agent ramdisk from virtual media for deploy (boot 1 of at most 3)',
    ]);

    // Booted again (a retry): a reboot, and the attempt counted.
    fake.bmc.calls.length = 0;
    await fake.leased(uuid, (leased) => bootRamdisk(fake.ctx, leased, 'deploy'));
    expect(fake.bmc.calls.at(-1)).toEqual({
      type: 'bmc.set_power',
      payload: { target: 'rebooting' },
    });
    expect((await fake.history(uuid)).at(-1)).toMatch(/boot 2 of at most 3/);

    // Torn down: powered off, the CD ejected, the token gone.
    fake.bmc.calls.length = 0;
    await fake.leased(uuid, (leased) => tearDownRamdisk(fake.ctx, leased, { powerOff: true }));
    expect(fake.bmc.types()).toEqual(['bmc.set_power', 'bmc.eject_media']);
    const after = await fake.row(uuid);
    expect(after.agentTokenPregenerated).toBe(false);
    expect(after.powerState).toBe('power off');
  });

  it('a BMC without virtual media has nothing to eject; another eject failure is reported', async () => {
    const uuid = await fake.node('deploying');
    fake.bmc.failures.set('bmc.eject_media', new BmcCallError('no virtual media', 'unsupported'));
    await fake.leased(uuid, (leased) => tearDownRamdisk(fake.ctx, leased, { powerOff: false }));
    fake.bmc.failures.set('bmc.eject_media', new BmcCallError('BMC said 500', 'protocol'));
    await expect(
      fake.leased(uuid, (leased) => tearDownRamdisk(fake.ctx, leased, { powerOff: false })),
    ).rejects.toThrow('BMC said 500');
    fake.bmc.failures.clear();
  });

  it('iPXE: the MACs of the pxe-enabled ports get a script, the network booted once; torn down, the script goes', async () => {
    const uuid = await fake.node('inspecting', { bootInterface: 'ipxe' });
    await fake.database.db.insert(ports).values([
      { uuid: crypto.randomUUID(), nodeUuid: uuid, address: '52:54:00:AA:00:02', pxeEnabled: true },
      { uuid: crypto.randomUUID(), nodeUuid: uuid, address: '52:54:00:aa:00:01', pxeEnabled: true },
      {
        uuid: crypto.randomUUID(),
        nodeUuid: uuid,
        address: '52:54:00:aa:00:03',
        pxeEnabled: false,
      },
    ]);
    fake.bmc.calls.length = 0;
    fake.images.calls.length = 0;
    await fake.leased(uuid, (leased) => bootRamdisk(fake.ctx, leased, 'inspect'));
    expect(fake.images.calls).toEqual([
      {
        type: 'image.pxe_config',
        payload: {
          macs: ['52:54:00:aa:00:01', '52:54:00:aa:00:02'],
          kernel_params: {
            'ipa-api-url': 'http://127.0.0.1:6385',
            'ipa-inspection-callback-url': `http://127.0.0.1:6385/v1/continue_inspection?node_uuid=${uuid}`,
          },
        },
      },
    ]);
    expect(fake.bmc.types()).not.toContain('bmc.insert_media');
    expect(fake.bmc.calls[0]).toEqual({
      type: 'bmc.set_boot_device',
      payload: { device: 'pxe', persistent: false },
    });
    expect((await fake.row(uuid)).agentTokenPregenerated).toBe(false);
    expect((await fake.history(uuid)).at(-1)).toBe(
      'booting the agent ramdisk over the network (iPXE) for inspect (boot 1 of at most 3)',
    );
    await fake.leased(uuid, (leased) => tearDownRamdisk(fake.ctx, leased, { powerOff: false }));
    expect(fake.images.calls.at(-1)).toEqual({
      type: 'image.pxe_clear',
      payload: { macs: ['52:54:00:aa:00:01', '52:54:00:aa:00:02'] },
    });
  });

  it('iPXE without a pxe-enabled port fails the step saying what to do', async () => {
    const uuid = await fake.node('cleaning', { bootInterface: 'ipxe' });
    await expect(
      fake.leased(uuid, (leased) => bootRamdisk(fake.ctx, leased, 'clean')),
    ).rejects.toThrow(/no port with pxe_enabled: create a port/);
  });

  it('redfish inspection reads the BMC, sets the properties and creates a port per NIC, booting nothing', async () => {
    const uuid = await fake.node('inspecting', { inspectInterface: 'redfish' });
    fake.bmc.calls.length = 0;
    fake.bmc.inventory = {
      cpus: 16,
      cpu_arch: 'x86_64',
      memory_mb: 65536,
      disks: [{ size_bytes: 480 * 2 ** 30 }, { size_bytes: 2 ** 30 }],
      nics: [{ mac: '52:54:00:bb:00:01' }],
    };
    await fake.leased(uuid, (leased) => runInspecting(fake.ctx, leased));
    expect(fake.bmc.types()).toEqual(['bmc.inventory']);
    const row = await fake.row(uuid);
    expect(row.provisionState).toBe('manageable');
    expect(row.properties).toMatchObject({
      cpus: 16,
      memory_mb: 65536,
      local_gb: 479,
      cpu_arch: 'x86_64',
    });
  });

  it('fake-hardware deploys without a ramdisk: disk as boot device, powered on, active', async () => {
    const uuid = await fake.node('deploying', {
      driver: 'fake-hardware',
      driverInfo: {},
      targetProvisionState: 'active',
    });
    fake.bmc.calls.length = 0;
    fake.images.calls.length = 0;
    await fake.leased(uuid, (leased) => runDeploying(fake.ctx, leased));
    expect(fake.images.calls).toEqual([]);
    expect(fake.bmc.types()).toEqual(['bmc.set_boot_device', 'bmc.set_power']);
    expect(fake.bmc.calls[0]!.payload).toMatchObject({ device: 'disk', persistent: true });
    const row = await fake.row(uuid);
    expect(row.provisionState).toBe('active');
    expect(await fake.history(uuid)).toEqual([
      'fake deploy: no agent to wait for',
      'fake deploy: nothing to write',
      'fake deploy finished; booting from disk',
    ]);
  });

  it('an implementation the conductor does not have fails the step naming it', async () => {
    const uuid = await fake.node('inspecting', { inspectInterface: 'idrac-redfish' });
    await expect(fake.leased(uuid, (leased) => runInspecting(fake.ctx, leased))).rejects.toThrow(
      "inspect_interface 'idrac-redfish', which this conductor does not implement (it has: agent, redfish, fake)",
    );
  });

  it('undeploy deletes the allocation that reserved the node, as Ironic does on tear-down', async () => {
    const allocation = crypto.randomUUID();
    const uuid = await fake.node('deleting', {
      driver: 'fake-hardware',
      driverInfo: {},
      targetProvisionState: 'available',
      instanceInfo: { instance_uuid: allocation },
      allocationUuid: allocation,
    });
    await fake.database.db
      .insert(allocations)
      .values({ uuid: allocation, nodeUuid: uuid, state: 'active', resourceClass: 'baremetal' });
    await fake.leased(uuid, (leased) => runDeleting(fake.ctx, leased));
    const row = await fake.row(uuid);
    expect(row).toMatchObject({
      provisionState: 'available',
      allocationUuid: null,
      instanceInfo: {},
    });
    expect(
      await fake.database.db.select().from(allocations).where(eq(allocations.uuid, allocation)),
    ).toEqual([]);
  });
});
