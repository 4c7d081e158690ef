// RAID over Redfish end to end: a target RAID configuration set with the real `baremetal` CLI,
// built by the raid interface's clean steps on the lab BMC's controller (at once, or at the next
// boot as iDRAC does), recorded in raid_config, and the root volume deployed onto as the disk the
// server's OS sees behind the controller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Installation, ServerHost, startFleet, waitFor, type Fleet } from '@ingot/lab';
import { succeedingBaremetal } from './support/baremetal-cli.js';
import { expectDeployedDisk } from './support/deployed-disk.js';
import {
  ImageOrigin,
  makeTestImage,
  readRange,
  scratchDir,
  type TestImage,
} from './support/images.js';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

const API_VERSION = '1.95';
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('RAID over Redfish', () => {
  let system: Installation;
  let fleet: Fleet;
  let hosts: ServerHost[];
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({ '/image.qcow2': image.qcow2Path });
    // Odd servers have two drives: a 64 GiB SSD (Disk0, /dev/sda) and a 500 GiB HDD (Disk1).
    fleet = await startFleet({ count: 4, powerDelayMs: 50 });
    system = await Installation.start({ LOG_LEVEL: 'info' });
    hosts = await Promise.all(
      fleet.servers.map((s) => ServerHost.create(s, { workDir: system.workDir })),
    );
  }, 120_000);
  afterAll(async () => {
    await Promise.all((hosts ?? []).map((h) => h.stop()));
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
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
        const settled = state === 'clean failed' || node.target_provision_state === null;
        return node.provision_state === state && settled ? node : undefined;
      },
      90_000,
    );

  const events = async (uuid: string) =>
    ((await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[]).map(
      (h) => h.event as string,
    );

  it('a RAID-1 root volume built at the next boot is recorded, becomes the root device and is deployed onto', async () => {
    const server = fleet.servers[1]!;
    const host = hosts[1]!;
    // A controller that builds volumes only at the next boot, as iDRAC's does.
    server.bmc.volumeApplyTimes = ['OnReset'];
    const uuid = await manageable(1);
    const target = {
      logical_disks: [
        {
          size_gb: 'MAX',
          raid_level: '1',
          is_root_volume: true,
          controller: '1',
          physical_disks: ['Disk0', 'Disk1'],
        },
      ],
    };
    await baremetal('node', 'set', uuid, '--target-raid-config', JSON.stringify(target));
    expect((await getNode(system, uuid)).target_raid_config).toEqual(target);

    const steps = [
      { interface: 'raid', step: 'delete_configuration' },
      { interface: 'raid', step: 'create_configuration' },
    ];
    await baremetal('node', 'clean', uuid, '--clean-steps', JSON.stringify(steps));
    const node = await cleanFinished(uuid, 'manageable');
    expect(node.last_error).toBeNull();

    // The BMC has the RAID 1 volume over both drives, as large as the smaller one.
    expect(server.bmc.state.pendingVolumes).toEqual([]);
    expect(server.bmc.state.volumes).toEqual([
      expect.objectContaining({
        name: 'root',
        raidType: 'RAID1',
        capacityBytes: 64 * GiB,
        drives: ['Disk0', 'Disk1'],
      }),
    ]);
    // raid_config as Ironic's update_raid_info writes it; the root volume sets the node's
    // root device hint (its WWN), local_gb and raid_level capability.
    expect(node.raid_config).toEqual({
      logical_disks: [
        {
          id: '1',
          name: 'root',
          controller: '1',
          size_gb: 64,
          raid_level: '1',
          is_root_volume: true,
          root_device_hint: { wwn: expect.stringMatching(/^0x5[0-9a-f]{15}$/) },
        },
      ],
      last_updated: expect.any(String),
    });
    const wwn = node.raid_config.logical_disks[0].root_device_hint.wwn as string;
    expect(node.properties.root_device).toEqual({ wwn });
    expect(node.properties.local_gb).toBe(64);
    expect(node.properties.capabilities).toContain('raid_level:1');
    const shown = JSON.parse(await baremetal('node', 'show', uuid, '-f', 'json'));
    expect(shown.raid_config.logical_disks[0].raid_level).toBe('1');
    expect(shown.target_raid_config).toEqual(target);

    // In order: volumes staged, the ramdisk booted again for them, then found and recorded.
    const history = await events(uuid);
    const at = (text: string) => history.findIndex((e) => e.startsWith(text));
    const order = [
      'clean step delete_configuration finished',
      'clean step create_configuration started',
      'clean step create_configuration needs a restart to take effect',
      'booting the agent ramdisk from virtual media for clean again: raid step create_configuration takes effect at boot',
      'raid_config: RAID 1 root (1, 64 GiB) is the root volume',
      'clean step create_configuration finished',
    ].map(at);
    expect(
      order.every((i) => i >= 0),
      history.join('\n'),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    // Behind the controller the OS sees the volume (named after the drives), not its members.
    expect(Object.keys(host.disks)).toEqual(['/dev/sdc']);
    const profile = JSON.parse(
      await readFile(join(system.workDir, server.name, 'hardware.json'), 'utf8'),
    );
    expect(profile.disks).toEqual([
      expect.objectContaining({ name: '/dev/sdc', size_bytes: 64 * GiB, wwn }),
    ]);

    // provide (automated clean) and deploy: the image goes onto the volume the hint names.
    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available', 90_000);
    const patch = await system.api('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'add', path: '/instance_info/image_source', value: `${origin.url}/image.qcow2` },
      { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
    ]);
    expect(patch.status, patch.text).toBe(200);
    const deploy = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'active',
      configdrive: {
        meta_data: { hostname: server.name },
        user_data: `#cloud-config\nhostname: ${server.name}\n`,
      },
    });
    expect(deploy.status).toBe(202);
    const active = await waitForState(system, uuid, 'active', 120_000);
    expect(active.last_error).toBeNull();
    await expectDeployedDisk(host.disks['/dev/sdc']!, image, server.name);
    // The raw member drives were not written.
    for (const drive of ['sda.img', 'sdb.img']) {
      const file = join(system.workDir, server.name, drive);
      expect((await readRange(file, 0, 4 * MiB)).every((b) => b === 0)).toBe(true);
    }
  }, 300_000);

  it('a volume the BMC builds at once is recorded without a restart; delete_configuration removes it', async () => {
    const server = fleet.servers[3]!;
    const uuid = await manageable(3);
    // No physical_disks: the driver picks the smallest free drive that holds 50 GiB (Disk0).
    const target = { logical_disks: [{ size_gb: 50, raid_level: '0', volume_name: 'scratch' }] };
    const put = await system.api('PUT', `/v1/nodes/${uuid}/states/raid`, target);
    expect(put.status, put.text).toBe(204);
    await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'clean',
      clean_steps: [{ interface: 'raid', step: 'create_configuration' }],
    });
    const node = await cleanFinished(uuid, 'manageable');
    expect(node.last_error).toBeNull();
    expect(server.bmc.state.volumes).toEqual([
      expect.objectContaining({ name: 'scratch', raidType: 'RAID0', capacityBytes: 50 * GiB }),
    ]);
    expect(node.raid_config.logical_disks).toEqual([
      { id: '1', name: 'scratch', controller: '1', size_gb: 50, raid_level: '0' },
    ]);
    // Not a root volume: no hint.
    expect(node.properties.root_device).toBeUndefined();
    expect(await events(uuid)).not.toContain(
      'clean step create_configuration needs a restart to take effect',
    );
    const states = await system.api('GET', `/v1/nodes/${uuid}/states`);
    expect(states.body.raid_config.logical_disks).toHaveLength(1);
    expect(states.body.target_raid_config).toEqual(target);

    await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'clean',
      clean_steps: [{ interface: 'raid', step: 'delete_configuration' }],
    });
    const cleared = await cleanFinished(uuid, 'manageable');
    expect(cleared.last_error).toBeNull();
    expect(server.bmc.state.volumes).toEqual([]);
    expect(cleared.raid_config).toEqual({ logical_disks: [], last_updated: expect.any(String) });
  }, 180_000);

  it('create_configuration fails the clean without a target, or with one the hardware cannot build', async () => {
    const uuid = await manageable(0);
    const clean = () =>
      system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
        target: 'clean',
        clean_steps: [{ interface: 'raid', step: 'create_configuration' }],
      });
    await clean();
    const none = await cleanFinished(uuid, 'clean failed');
    expect(none.last_error).toContain(`Node ${uuid} has no target RAID configuration`);

    // Server 0 has a single drive: RAID 1 needs two.
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    const put = await system.api('PUT', `/v1/nodes/${uuid}/states/raid`, {
      logical_disks: [{ size_gb: 10, raid_level: '1' }],
    });
    expect(put.status, put.text).toBe(204);
    await clean();
    const refused = await cleanFinished(uuid, 'clean failed');
    expect(refused.last_error).toMatch(/raid step create_configuration failed: .*free drives/);
    expect(fleet.servers[0]!.bmc.state.volumes).toEqual([]);
  }, 120_000);

  it('PUT states/raid validates as Ironic does, and a node with no-raid takes none', async () => {
    const uuid = await enroll(system, fleet.servers[2]!);
    const put = (body: unknown, version?: string) =>
      system.api(
        'PUT',
        `/v1/nodes/${uuid}/states/raid`,
        body,
        version ? { 'X-OpenStack-Ironic-API-Version': version } : {},
      );
    const disk = { size_gb: 10, raid_level: '1' };
    const refusals: [unknown, RegExp][] = [
      [{ disks: [] }, /Additional properties are not allowed \('disks' was unexpected\)/],
      [{ logical_disks: [] }, /logical_disks: \[\] should be non-empty/],
      [{ logical_disks: [{ size_gb: 10 }] }, /logical_disks\[0\]: 'raid_level' is a required/],
      [
        { logical_disks: [{ ...disk, raid_level: '7' }] },
        /logical_disks\[0\]\.raid_level: '7' is not one of \['JBOD', '0', '1'/,
      ],
      [
        { logical_disks: [{ ...disk, size_gb: 'big' }] },
        /logical_disks\[0\]\.size_gb: 'big' is not valid under any of the given schemas/,
      ],
      [
        { logical_disks: [{ ...disk, size_gb: 1.5 }] },
        /logical_disks\[0\]\.size_gb: 1\.5 is not valid/,
      ],
      [
        { logical_disks: [{ ...disk, is_root_volume: 'yes' }] },
        /logical_disks\[0\]\.is_root_volume: 'yes' is not of type 'boolean'/,
      ],
      [
        { logical_disks: [{ ...disk, colour: 'red' }] },
        /logical_disks\[0\]: Additional properties are not allowed \('colour' was unexpected\)/,
      ],
      [
        { logical_disks: [{ ...disk, physical_disks: ['Disk0', 'Disk1'] }] },
        /logical_disks\[0\]: 'controller' is a dependency of 'physical_disks'/,
      ],
      [
        {
          logical_disks: [
            { ...disk, is_root_volume: true },
            { ...disk, is_root_volume: true },
          ],
        },
        /Raid config cannot have more than one root volume. 2 root volumes were specified/,
      ],
      [
        { logical_disks: [{ ...disk, interface_type: 'scsi' }] },
        /interface type `scsi` not supported by Redfish RAID/,
      ],
    ];
    for (const [body, message] of refusals) {
      const res = await put(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.text).toMatch(message);
    }
    expect((await put({ logical_disks: [disk] }, '1.11')).status).toBe(406);
    expect((await getNode(system, uuid)).target_raid_config).toEqual({});
    expect((await put({ logical_disks: [disk] })).status).toBe(204);
    expect((await getNode(system, uuid)).target_raid_config).toEqual({ logical_disks: [disk] });
    // {} clears it.
    expect((await put({})).status).toBe(204);
    expect((await getNode(system, uuid)).target_raid_config).toEqual({});

    // fake-hardware has no-raid: only {} is taken; the rest is Ironic's 404.
    const fake = await system.api('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: 'no-raid',
    });
    expect(fake.status, fake.text).toBe(201);
    expect(fake.body.raid_interface).toBe('no-raid');
    const refused = await system.api('PUT', '/v1/nodes/no-raid/states/raid', {
      logical_disks: [disk],
    });
    expect(refused.status).toBe(404);
    expect(refused.text).toContain(
      'Driver fake-hardware does not support raid (disabled or not implemented).',
    );
    expect((await system.api('PUT', '/v1/nodes/no-raid/states/raid', {})).status).toBe(204);
    const redfish = await getNode(system, uuid);
    expect(redfish.raid_interface).toBe('redfish');
  });
});
