import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, waitFor, type Fleet } from '@ingot/lab';
import {
  enroll,
  getNode,
  setProvision,
  waitForFailedState,
  waitForState,
} from './support/nodes.js';
import { makeTestImage, scratchDir, type ImageOrigin, type TestImage } from './support/images.js';
import { addBootPort, bootScriptUrl, startNetbootOrigin } from './support/netboot.js';
import { expectDeployedDisk } from './support/deployed-disk.js';

/** `52:54:00:00:01:01` → `52-54-00-00-01-01`, iPXE's ${mac:hexhyp}. */
const hexhyp = (mac: string) => mac.replace(/:/g, '-');

describe("iPXE boot (boot_interface 'ipxe'): the agent boots over the network", () => {
  let system: Installation;
  let fleet: Fleet;
  let host: ServerHost;
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let imageCacheUrl: string;

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    const netboot = await startNetbootOrigin(scratch.path, image);
    origin = netboot.origin;
    fleet = await startFleet({ count: 3, powerDelayMs: 50 });
    system = await Installation.start({
      INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10',
      LOG_LEVEL: 'info',
      ...netboot.env,
    });
    imageCacheUrl = `http://127.0.0.1:${system.service('imagecache').opsPort}`;
    // What the provisioning network's DHCP server would hand to the server's iPXE firmware.
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

  /** A redfish node that boots over iPXE, with the port of its boot NIC, as Metal3 registers it. */
  async function enrollIpxe(index: number, withPort = true): Promise<string> {
    const server = fleet.servers[index]!;
    const uuid = await enroll(system, server, { boot_interface: 'ipxe' });
    if (withPort) await addBootPort(system, uuid, server.macs[0]);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    return uuid;
  }

  const scriptFor = async (mac: string) =>
    (await fetch(`${imageCacheUrl}/ipxe/${hexhyp(mac)}.ipxe`)).text();

  it('inspects, cleans, deploys and undeploys a server that never sees virtual media', async () => {
    const server = fleet.servers[0]!;
    const uuid = await enrollIpxe(0);
    const diagnose = () => `agent output:\n${host.output().slice(-3000)}`;
    const step = async (verb: string, state: string) => {
      await setProvision(system, uuid, verb);
      return waitForState(system, uuid, state, 90_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${diagnose()}`);
      });
    };

    const inspected = await step('inspect', 'manageable');
    expect(inspected.last_error).toBeNull();
    expect(inspected.properties).toMatchObject({ cpus: server.profile.cpus });
    // Between operations the server's MAC is told to boot on from its disk.
    expect(await scriptFor(server.macs[0]!)).toMatch(/^exit/m);

    await step('provide', 'available');
    expect(
      (
        await system.api('PATCH', `/v1/nodes/${uuid}`, [
          {
            op: 'add',
            path: '/instance_info/image_source',
            value: `${origin.url}/images/test.qcow2`,
          },
          { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
          { op: 'add', path: '/instance_info/user_data', value: `hostname: ${server.name}\n` },
        ])
      ).status,
    ).toBe(200);
    const active = await step('active', 'active');
    expect(active.last_error).toBeNull();
    await expectDeployedDisk(host.disks['/dev/sda']!, image, server.name);
    expect(await scriptFor(server.macs[0]!)).toMatch(/^exit/m);

    await step('deleted', 'available');
    const history = (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[];
    const boots = history.filter((h) => /booting the agent ramdisk/.test(h.event));
    // inspect, clean (provide), deploy, clean (undeploy): each over the network, none from a CD.
    expect(boots.map((h) => h.event)).toHaveLength(4);
    expect(boots.every((h) => /over the network \(iPXE\)/.test(h.event))).toBe(true);
    expect(server.bmc.state.media.Cd.image).toBeNull();
  }, 300_000);

  it('without a port for its boot NIC the node fails inspection with a reason, and leaves nothing behind', async () => {
    const uuid = await enrollIpxe(1, false);
    await setProvision(system, uuid, 'inspect');
    const failed = await waitForFailedState(system, uuid, 'inspect failed');
    expect(failed.last_error).toMatch(/no port with pxe_enabled/);
    expect(fleet.servers[1]!.bmc.state.power).toBe('Off');
  });

  it('the boot interface cannot change under a running operation', async () => {
    // No host for this server: its network boot never starts an agent, so it stays in inspect wait.
    const uuid = await enrollIpxe(2);
    await setProvision(system, uuid, 'inspect');
    await waitFor('inspect wait', async () => {
      const node = await getNode(system, uuid);
      return node.provision_state === 'inspect wait';
    });
    expect(await scriptFor(fleet.servers[2]!.macs[0]!)).toMatch(/ipa-api-url=/);
    const refused = await system.api('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'replace', path: '/boot_interface', value: 'redfish-virtual-media' },
    ]);
    expect(refused.status).toBe(409);
    expect(refused.body.error_message).toMatch(/boot_interface/);
    await setProvision(system, uuid, 'abort');
    await waitForFailedState(system, uuid, 'inspect failed');
    // The abort tore the network boot down: the MAC boots on from disk again.
    expect(await scriptFor(fleet.servers[2]!.macs[0]!)).toMatch(/^exit/m);
    expect((await getNode(system, uuid)).boot_interface).toBe('ipxe');
  });
});
