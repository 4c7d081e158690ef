// Servicing (Ironic 1.87): an active node runs service steps (here the bios interface's) through
// the agent ramdisk, keeps its disk, and boots its instance again; a failed servicing is aborted
// back to active. The baremetal CLI 5.0.1 has no `node service`, so the API is driven directly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, waitFor, type Fleet } from '@ingot/lab';
import { expectDeployedDisk } from './support/deployed-disk.js';
import { ImageOrigin, makeTestImage, scratchDir, type TestImage } from './support/images.js';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

describe('servicing an active node', () => {
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
    fleet = await startFleet({ count: 2, powerDelayMs: 50 });
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

  async function deployed(index: number): Promise<string> {
    const uuid = await enroll(system, fleet.servers[index]!);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available', 60_000);
    const patched = await system.api('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'add', path: '/instance_info/image_source', value: `${origin.url}/image.qcow2` },
      { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
    ]);
    expect(patched.status).toBe(200);
    const name = fleet.servers[index]!.name;
    const deploy = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'active',
      configdrive: {
        meta_data: { hostname: name },
        user_data: `#cloud-config\nhostname: ${name}\n`,
      },
    });
    expect(deploy.status).toBe(202);
    await waitForState(system, uuid, 'active', 60_000);
    await expectDeployedDisk(hosts[index]!.disks['/dev/sda']!, image, name);
    return uuid;
  }

  const service = (uuid: string, steps: unknown[], version = '1.87') =>
    system.api(
      'PUT',
      `/v1/nodes/${uuid}/states/provision`,
      { target: 'service', service_steps: steps },
      {
        'X-OpenStack-Ironic-API-Version': version,
      },
    );

  const settled = (uuid: string, state: string) =>
    waitFor(
      `node ${uuid} settled in '${state}'`,
      async () => {
        const node = await getNode(system, uuid);
        const done = state === 'service failed' || node.target_provision_state === null;
        return node.provision_state === state && done ? node : undefined;
      },
      90_000,
    ).catch(async (error: unknown) => {
      const node = await getNode(system, uuid);
      const history = (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[];
      throw new Error(
        `${String(error)}\nstate ${node.provision_state} target ${node.target_provision_state} last_error ${node.last_error}\n${history.map((h) => `${h.from_state ?? ''} → ${h.to_state ?? ''} ${h.event}`).join('\n')}`,
      );
    });

  it('a BIOS change on a deployed server: applied through the ramdisk, the instance booted again, its disk kept', async () => {
    const uuid = await deployed(0);
    const bmc = fleet.servers[0]!.bmc;
    const steps = [
      {
        interface: 'bios',
        step: 'apply_configuration',
        args: { settings: [{ name: 'SriovGlobalEnable', value: 'Enabled' }] },
      },
    ];
    const old = await service(uuid, steps, '1.86');
    expect(old.status, old.text).toBe(406);
    const missing = await service(uuid, []);
    expect(missing.status).toBe(400);
    expect(missing.text).toMatch(/service_steps/);

    const res = await service(uuid, steps);
    expect(res.status, res.text).toBe(202);
    const node = await settled(uuid, 'active');
    expect(node.last_error).toBeNull();
    expect(node.service_step).toEqual({});
    expect(bmc.state.bios.current).toMatchObject({ SriovGlobalEnable: 'Enabled' });
    // Back on its instance: disk as boot device, no boot ISO, powered on, the image intact.
    expect(bmc.state.power).toBe('On');
    expect(bmc.state.boot.target).toBe('Hdd');
    expect(bmc.state.media.Cd.inserted).toBe(false);
    await expectDeployedDisk(hosts[0]!.disks['/dev/sda']!, image, fleet.servers[0]!.name);
    const events = (
      (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[]
    ).map((h) => `${h.from_state ?? ''} → ${h.to_state ?? ''} ${h.event}`);
    for (const wanted of [
      "active → servicing 'service' requested",
      'booting the agent ramdisk from virtual media for service (boot 1',
      'servicing → service wait waiting for the agent to service',
      'service step apply_configuration needs a restart to take effect',
      'service step apply_configuration finished',
      'service wait → servicing every service step finished',
      'servicing → active servicing finished; booting from disk',
    ])
      expect(
        events.some((e) => e.includes(wanted)),
        `${wanted}\n${events.join('\n')}`,
      ).toBe(true);
    const setting = await system.api('GET', `/v1/nodes/${uuid}/bios/SriovGlobalEnable`);
    expect(setting.body.SriovGlobalEnable.value).toBe('Enabled');
  }, 180_000);

  it('a failed servicing leaves service failed with the reason; abort boots the instance again', async () => {
    const uuid = await deployed(1);
    const bmc = fleet.servers[1]!.bmc;
    const res = await service(uuid, [
      {
        interface: 'bios',
        step: 'apply_configuration',
        args: { settings: [{ name: 'NumaNodesPerSocket', value: 9 }] },
      },
    ]);
    expect(res.status).toBe(202);
    const failed = await settled(uuid, 'service failed');
    expect(failed.last_error).toMatch(/bios step apply_configuration failed: .*NumaNodesPerSocket/);
    expect(bmc.state.bios.pending).toEqual({});

    await setProvision(system, uuid, 'abort');
    const back = await settled(uuid, 'active');
    expect(back.last_error).toMatch(/NumaNodesPerSocket/);
    expect(bmc.state.power).toBe('On');
    expect(bmc.state.boot.target).toBe('Hdd');
    expect(bmc.state.media.Cd.inserted).toBe(false);
    await expectDeployedDisk(hosts[1]!.disks['/dev/sda']!, image, fleet.servers[1]!.name);
  }, 180_000);
});
