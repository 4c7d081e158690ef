import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Installation,
  RedfishBmc,
  ServerHost,
  startFleet,
  type Fleet,
  type PowerChange,
} from '@ingot/lab';
import {
  enroll,
  getNode,
  setProvision,
  waitForFailedState,
  waitForState,
} from './support/nodes.js';
import { ImageOrigin, makeTestImage, scratchDir, type TestImage } from './support/images.js';
import { expectDeployedDisk } from './support/deployed-disk.js';

/** The node's history, one event a line. */
const historyOf = async (system: Installation, uuid: string) =>
  ((await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as { event: string }[])
    .map((h) => h.event)
    .join('\n');

describe('UEFI secure boot of a deployed instance (instance_info.capabilities.secure_boot)', () => {
  let system: Installation;
  let fleet: Fleet;
  let host: ServerHost;
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let bare: RedfishBmc | undefined;

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({
      '/images/test.qcow2': image.qcow2Path,
      '/images/never.qcow2': image.qcow2Path,
    });
    fleet = await startFleet({ count: 2, powerDelayMs: 50, ipmi: true });
    system = await Installation.start({ INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10', LOG_LEVEL: 'info' });
    host = await ServerHost.create(fleet.servers[0]!, { workDir: system.workDir });
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await bare?.stop();
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  /** A node made available without cleaning (automated_clean false keeps these tests short). */
  async function availableNode(body: Record<string, unknown>): Promise<string> {
    const created = await system.api('POST', '/v1/nodes', { automated_clean: false, ...body });
    expect(created.status, created.text).toBe(201);
    const uuid = created.body.uuid as string;
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available');
    return uuid;
  }

  /** instance_info of a deploy asking for secure boot, as Metal3 writes it for UEFISecureBoot. */
  async function askForSecureBoot(uuid: string, path = '/images/test.qcow2') {
    const res = await system.api('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'add', path: '/instance_info/image_source', value: `${origin.url}${path}` },
      { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
      { op: 'add', path: '/instance_info/image_disk_format', value: 'qcow2' },
      { op: 'add', path: '/instance_info/capabilities', value: { secure_boot: 'true' } },
    ]);
    expect(res.status, res.text).toBe(200);
  }

  it('redfish: on through the BMC before the instance boots (never for the agent), off again on undeploy', async () => {
    const server = fleet.servers[0]!;
    const uuid = await enroll(system, server, { automated_clean: false, boot_mode: 'uefi' });
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available');
    expect((await getNode(system, uuid)).secure_boot).toBeNull();

    // What the firmware had when the server powered on, and from where it booted.
    const boots: string[] = [];
    const onPower = (change: PowerChange) => {
      if (change.to === 'On')
        boots.push(`${change.bootTarget} secure=${server.bmc.state.secureBoot}`);
    };
    server.bmc.on('power', onPower);
    try {
      await askForSecureBoot(uuid);
      const deploy = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
        target: 'active',
        configdrive: { user_data: `#cloud-config\nhostname: ${server.name}\n` },
      });
      expect(deploy.status, deploy.text).toBe(202);
      const active = await waitForState(system, uuid, 'active', 120_000).catch((e: Error) => {
        throw new Error(`${e.message}\nagent output:\n${host.output().slice(-3000)}`);
      });
      expect(active).toMatchObject({ secure_boot: true, last_error: null, boot_mode: 'uefi' });
      await expectDeployedDisk(host.disks['/dev/sda']!, image, server.name);
      expect(server.bmc.state.secureBoot).toBe(true);
      expect(server.bmc.state.boot).toMatchObject({ target: 'Hdd', mode: 'UEFI' });
      expect(boots).toEqual(['Cd secure=false', 'Hdd secure=true']);
      const states = await system.api('GET', `/v1/nodes/${uuid}/states`);
      expect(states.body.secure_boot).toBe(true);
      expect(await historyOf(system, uuid)).toMatch(
        /UEFI secure boot enabled on the BMC; current boot: on/,
      );
    } finally {
      server.bmc.off('power', onPower);
    }

    await setProvision(system, uuid, 'deleted');
    const undeployed = await waitForState(system, uuid, 'available', 60_000);
    expect(undeployed).toMatchObject({ secure_boot: false, instance_info: {}, last_error: null });
    expect(server.bmc.state.secureBoot).toBe(false);
    expect(await historyOf(system, uuid)).toMatch(/UEFI secure boot disabled on the BMC/);
  }, 240_000);

  it('ipmi: the deploy fails at once with a readable last_error, before any image is fetched or anything boots', async () => {
    const server = fleet.servers[1]!;
    const uuid = await availableNode({
      name: server.name,
      driver: 'ipmi',
      driver_info: server.ipmiDriverInfo,
    });
    const resetsBefore = server.bmc.state.resets.length;
    await askForSecureBoot(uuid, '/images/never.qcow2');
    await setProvision(system, uuid, 'active');
    const failed = await waitForFailedState(system, uuid, 'deploy failed');
    expect(failed.last_error).toMatch(
      /^Cannot deploy: secure boot was requested \(instance_info\.capabilities\.secure_boot\) but secure boot is not supported by the ipmi hardware type \(BMC at 127\.0\.0\.1:\d+\): use the redfish hardware type/,
    );
    expect(failed.secure_boot).toBeNull();
    expect(origin.hits.get('/images/never.qcow2')).toBeUndefined();
    expect(server.bmc.state.resets.slice(resetsBefore).filter((r) => r !== 'ForceOff')).toEqual([]);
    expect(server.bmc.state.secureBoot).toBe(false);

    // Undeploying the failed deploy is not blocked by the missing feature.
    await setProvision(system, uuid, 'deleted');
    expect(await waitForState(system, uuid, 'available')).toMatchObject({ last_error: null });
  });

  it('a redfish BMC without a SecureBoot resource fails the deploy naming the BMC', async () => {
    bare = await RedfishBmc.start({ secureBoot: false, powerDelayMs: 50 });
    const uuid = await availableNode({
      name: 'no-secure-boot',
      driver: 'redfish',
      driver_info: {
        redfish_address: bare.url,
        redfish_system_id: bare.systemPath,
        redfish_username: bare.username,
        redfish_password: bare.password,
      },
    });
    await askForSecureBoot(uuid, '/images/never.qcow2');
    await setProvision(system, uuid, 'active');
    const failed = await waitForFailedState(system, uuid, 'deploy failed');
    expect(failed.last_error).toMatch(
      /secure boot was requested .* but BMC at 127\.0\.0\.1:\d+ has no SecureBoot resource on \/redfish\/v1\/Systems\/1/,
    );
    expect(origin.hits.get('/images/never.qcow2')).toBeUndefined();
  });

  it('boot_mode bios cannot boot securely: the deploy fails saying secure boot requires uefi', async () => {
    const uuid = await availableNode({ driver: 'fake-hardware', boot_mode: 'bios' });
    await askForSecureBoot(uuid, '/images/never.qcow2');
    await setProvision(system, uuid, 'active');
    const failed = await waitForFailedState(system, uuid, 'deploy failed');
    expect(failed.last_error).toMatch(/boot_mode is bios; secure boot requires uefi/);
  });

  it('fake-hardware records it, as a server that honours it would', async () => {
    const uuid = await availableNode({ driver: 'fake-hardware' });
    await askForSecureBoot(uuid, '/images/never.qcow2');
    await setProvision(system, uuid, 'active');
    expect(await waitForState(system, uuid, 'active')).toMatchObject({
      secure_boot: true,
      last_error: null,
    });
    await setProvision(system, uuid, 'deleted');
    expect(await waitForState(system, uuid, 'available')).toMatchObject({ secure_boot: false });
  });
});
