import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Installation,
  ServerHost,
  startFleet,
  waitFor,
  type Fleet,
  type LabServer,
} from '@ingot/lab';
import { getNode, setPower, setProvision, waitForPower, waitForState } from './support/nodes.js';
import { makeTestImage, scratchDir, type ImageOrigin, type TestImage } from './support/images.js';
import { addBootPort, bootScriptUrl, startNetbootOrigin } from './support/netboot.js';
import { expectDeployedDisk } from './support/deployed-disk.js';

describe('the ipmi hardware type: ipmitool against the lab IPMI BMCs, agent over iPXE', () => {
  let system: Installation;
  let fleet: Fleet;
  let host: ServerHost;
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    const netboot = await startNetbootOrigin(scratch.path, image);
    origin = netboot.origin;
    fleet = await startFleet({ count: 3, powerDelayMs: 50, ipmi: true });
    system = await Installation.start({
      INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10',
      LOG_LEVEL: 'info',
      ...netboot.env,
    });
    host = await ServerHost.create(fleet.servers[0]!, {
      workDir: system.workDir,
      pxe: { bootScriptUrl: bootScriptUrl(system) },
    });
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  /** Enrolls a server as an ipmi node with the port of its boot NIC, as Metal3 does for ipmi://. */
  async function enrollIpmi(server: LabServer, driverInfo: Record<string, unknown>) {
    const res = await system.api('POST', '/v1/nodes', {
      name: server.name,
      driver: 'ipmi',
      driver_info: driverInfo,
    });
    expect(res.status, res.text).toBe(201);
    const uuid = res.body.uuid as string;
    await addBootPort(system, uuid, server.macs[0]);
    return uuid;
  }

  it('enrolls, verifies, drives power and the boot device, and never shows the password', async () => {
    const server = fleet.servers[0]!;
    const uuid = await enrollIpmi(server, server.ipmiDriverInfo!);
    await setProvision(system, uuid, 'manage');
    const node = await waitForState(system, uuid, 'manageable');
    expect(node.last_error).toBeNull();
    expect(node.driver_info.ipmi_password).toBe('******');
    expect(node.boot_interface).toBe('ipxe');
    expect(node.power_interface).toBe('ipmitool');

    await setPower(system, uuid, 'power on');
    await waitForPower(system, uuid, 'power on');
    expect(server.bmc.state.power).toBe('On');
    await setPower(system, uuid, 'power off');
    await waitForPower(system, uuid, 'power off');
    expect(server.bmc.state.power).toBe('Off');

    const set = await system.api('PUT', `/v1/nodes/${uuid}/management/boot_device`, {
      boot_device: 'pxe',
      persistent: true,
    });
    expect(set.status, set.text).toBeLessThan(300);
    expect(server.bmc.state.boot).toMatchObject({ target: 'Pxe', enabled: 'Continuous' });
    const got = await system.api('GET', `/v1/nodes/${uuid}/management/boot_device`);
    expect(got.body).toEqual({ boot_device: 'pxe', persistent: true });
  });

  it('takes the server through inspect, clean, deploy and undeploy over iPXE', async () => {
    const server = fleet.servers[0]!;
    const uuid = (await getNode(system, server.name)).uuid as string;
    const step = async (verb: string, state: string) => {
      await setProvision(system, uuid, verb);
      return waitForState(system, uuid, state, 90_000).catch((error: Error) => {
        throw new Error(`${error.message}\nagent output:\n${host.output().slice(-3000)}`);
      });
    };
    const inspected = await step('inspect', 'manageable');
    expect(inspected.properties).toMatchObject({ cpus: server.profile.cpus });
    await step('provide', 'available');
    const patched = await system.api('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'add', path: '/instance_info/image_source', value: `${origin.url}/images/test.qcow2` },
      { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
      { op: 'add', path: '/instance_info/user_data', value: `hostname: ${server.name}\n` },
    ]);
    expect(patched.status).toBe(200);
    expect((await step('active', 'active')).last_error).toBeNull();
    await expectDeployedDisk(host.disks['/dev/sda']!, image, server.name);
    expect(server.bmc.state.power).toBe('On');
    await step('deleted', 'available');
  }, 300_000);

  it('a wrong password and a dead BMC each leave the node in enroll with a reason', async () => {
    const [, wrong, dead] = fleet.servers as [LabServer, LabServer, LabServer];
    const badPassword = await enrollIpmi(wrong, {
      ...wrong.ipmiDriverInfo!,
      ipmi_password: 'not-the-password',
    });
    const noBmc = await enrollIpmi(dead, {
      ...dead.ipmiDriverInfo!,
      ipmi_port: 9, // discard: nothing answers IPMI there
      ipmi_timeout_ms: 3000,
    });
    await setProvision(system, badPassword, 'manage');
    await setProvision(system, noBmc, 'manage');
    const backInEnroll = (uuid: string) =>
      waitFor(
        `node ${uuid} back in enroll with a reason`,
        async () => {
          const node = await getNode(system, uuid);
          return node.provision_state === 'enroll' && node.last_error ? node : undefined;
        },
        60_000,
      );
    const refused = await backInEnroll(badPassword);
    expect(refused.last_error).toMatch(/127\.0\.0\.1:\d+/);
    expect(refused.last_error).not.toContain('not-the-password');
    const unreachable = await backInEnroll(noBmc);
    expect(unreachable.last_error).toMatch(
      /127\.0\.0\.1:9 did not answer 'power status' over IPMI/,
    );
  });
});
