import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIsoFile } from '@ingot/media';
import { Installation, startFleet, waitFor, type Fleet, type LabServer } from '@ingot/lab';
import { enroll, setProvision, waitForState } from './support/nodes.js';
import { addBootPort, startNetbootOrigin } from './support/netboot.js';
import { makeTestImage, scratchDir } from './support/images.js';

const APPEND = 'ipa-advertise-host=127.0.0.1 ipa-advertise-port=5999 nomodeset';

/** The image the lab BMC's virtual CD holds, read over Redfish as any client would. */
async function insertedCd(server: LabServer): Promise<string | null> {
  const auth = `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}`;
  const get = async (path: string) =>
    (await fetch(`${server.url}${path}`, { headers: { authorization: auth } })).json() as Promise<
      Record<string, any>
    >;
  const system = await get(server.systemPath);
  const manager = system.Links.ManagedBy[0]['@odata.id'] as string;
  return ((await get(`${manager}/VirtualMedia/Cd`)).Image as string | null) ?? null;
}

describe("driver_info.kernel_append_params reaches the agent ramdisk's kernel parameters", () => {
  let system: Installation;
  let fleet: Fleet;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let closeOrigin: () => Promise<void>;

  beforeAll(async () => {
    scratch = await scratchDir();
    const netboot = await startNetbootOrigin(scratch.path, await makeTestImage(scratch.path));
    closeOrigin = () => netboot.origin.close();
    fleet = await startFleet({ count: 2, powerDelayMs: 50 });
    system = await Installation.start({ ...netboot.env });
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
    await closeOrigin?.();
    await scratch?.remove();
  });

  it('refuses characters an iPXE line would interpret', async () => {
    const server = fleet.servers[0]!;
    const res = await system.api('POST', '/v1/nodes', {
      driver: 'redfish',
      driver_info: { ...server.driverInfo, kernel_append_params: 'a=1; chain http://x' },
    });
    expect(res.status).toBe(400);
  });

  it('virtual media: agent.json of the boot ISO carries it as kernel_params', async () => {
    const server = fleet.servers[0]!;
    const uuid = await enroll(system, server, {
      driver_info: { ...server.driverInfo, kernel_append_params: APPEND },
    });
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'inspect');
    const url = await waitFor(
      'the boot ISO in the virtual CD',
      async () => (await insertedCd(server)) ?? undefined,
    );
    const iso = Buffer.from(await (await fetch(url)).arrayBuffer());
    const config = JSON.parse((await readIsoFile(iso, 'ingot/agent.json')).toString('utf8'));
    expect(config).toMatchObject({ node_uuid: uuid, kernel_params: APPEND });
  });

  it("iPXE: the node's script ends its kernel line with it", async () => {
    const server = fleet.servers[1]!;
    const uuid = await enroll(system, server, {
      boot_interface: 'ipxe',
      driver_info: { ...server.driverInfo, kernel_append_params: APPEND },
    });
    await addBootPort(system, uuid, server.macs[0]);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'inspect');
    const cache = `http://127.0.0.1:${system.service('imagecache').opsPort}`;
    const script = await waitFor("the node's iPXE script", async () => {
      const text = await (
        await fetch(`${cache}/ipxe/${server.macs[0]!.replace(/:/g, '-')}.ipxe`)
      ).text();
      return text.includes('kernel --name') ? text : undefined;
    });
    expect(script).toContain(`console=tty0 console=ttyS0,115200 ${APPEND} || goto retry`);
  });
});
