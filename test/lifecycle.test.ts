import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, type Fleet } from '@ingot/lab';
import { NodeStore } from './support/db.js';
import { getNode, setProvision, waitForState, enroll } from './support/nodes.js';
import {
  ImageOrigin,
  makeTestImage,
  readRange,
  scratchDir,
  type TestImage,
} from './support/images.js';
import { expectDeployedDisk } from './support/deployed-disk.js';

const SERVERS = Number(process.env.INGOT_LIFECYCLE_SERVERS ?? 10);
const MiB = 1024 * 1024;

describe('the whole lifecycle on the lab, through the real agent', () => {
  let system: Installation;
  let fleet: Fleet;
  let hosts: ServerHost[];
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let store: NodeStore;

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({ '/images/test.qcow2': image.qcow2Path });
    fleet = await startFleet({ count: SERVERS, powerDelayMs: 100 });
    system = await Installation.start({ INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10', LOG_LEVEL: 'info' });
    hosts = await Promise.all(
      fleet.servers.map((server) => ServerHost.create(server, { workDir: system.workDir })),
    );
    store = await NodeStore.open(system);
  }, 120_000);
  afterAll(async () => {
    await Promise.all((hosts ?? []).map((h) => h.stop()));
    await store?.close();
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  const all = <T>(fn: (server: Fleet['servers'][number], i: number) => Promise<T>) =>
    Promise.all(fleet.servers.map(fn));
  const diagnose = (i: number) => `agent output:\n${hosts[i]!.output().slice(-3000)}`;

  it(`${SERVERS} servers: enroll → manageable → inspected → cleaned → available → active → deleted → available`, async () => {
    const uuids = await all((server) => enroll(system, server));
    await all(async (_s, i) => setProvision(system, uuids[i]!, 'manage'));
    await all(async (_s, i) => waitForState(system, uuids[i]!, 'manageable'));

    // Inspection: the agent boots from the virtual CD, reports its inventory, the inspector stores it.
    await all(async (_s, i) => setProvision(system, uuids[i]!, 'inspect'));
    await all(async (server, i) => {
      const node = await waitForState(system, uuids[i]!, 'manageable', 90_000).catch((e) => {
        throw new Error(`${e.message}\n${diagnose(i)}`);
      });
      expect(node.last_error).toBeNull();
      expect(node.properties).toMatchObject({
        cpus: server.profile.cpus,
        memory_mb: server.profile.memory_mb,
        cpu_arch: 'x86_64',
        local_gb: 63, // the 64 GiB disk, minus one as Ironic reports it
      });
      const inventory = await system.api('GET', `/v1/nodes/${uuids[i]}/inventory`);
      expect(inventory.body.inventory.interfaces.map((n: any) => n.mac_address).sort()).toEqual(
        [...server.macs].sort(),
      );
      expect(server.bmc.state.power).toBe('Off');
      expect(server.bmc.state.media.Cd.inserted).toBe(false);
      // Ironic's default (add_ports=pxe): the NIC the server boots from becomes its port.
      expect(await store.portAddresses(uuids[i]!)).toEqual([server.macs[0]]);
    });

    // provide: automated cleaning (metadata) through the agent.
    await all(async (_s, i) => setProvision(system, uuids[i]!, 'provide'));
    await all(async (_s, i) =>
      waitForState(system, uuids[i]!, 'available', 90_000).catch((e) => {
        throw new Error(`${e.message}\n${diagnose(i)}`);
      }),
    );

    // deploy with user data: the image cache fetches the qcow2 once and serves it raw.
    await all(async (server, i) => {
      const patch = await system.api('PATCH', `/v1/nodes/${uuids[i]}`, [
        {
          op: 'add',
          path: '/instance_info/image_source',
          value: `${origin.url}/images/test.qcow2`,
        },
        { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
        { op: 'add', path: '/instance_info/image_disk_format', value: 'qcow2' },
      ]);
      expect(patch.status, patch.text).toBe(200);
      const res = await system.api('PUT', `/v1/nodes/${uuids[i]}/states/provision`, {
        target: 'active',
        configdrive: {
          meta_data: { hostname: server.name },
          user_data: `#cloud-config\nhostname: ${server.name}\n`,
        },
      });
      expect(res.status).toBe(202);
    });
    await all(async (_s, i) =>
      waitForState(system, uuids[i]!, 'active', 120_000).catch((e) => {
        throw new Error(`${e.message}\n${diagnose(i)}`);
      }),
    );
    expect(origin.hits.get('/images/test.qcow2')).toBe(1);

    await all(async (server, i) => {
      await expectDeployedDisk(hosts[i]!.disks['/dev/sda']!, image, server.name);
      expect(server.bmc.state.power).toBe('On');
      expect(server.bmc.state.boot.target).toBe('Hdd');
      const node = await getNode(system, uuids[i]!);
      expect(node.instance_info.configdrive).toBe('******');
    });

    // undeploy: metadata of every disk wiped by cleaning, back to available.
    await all(async (_s, i) => setProvision(system, uuids[i]!, 'deleted'));
    await all(async (_s, i) =>
      waitForState(system, uuids[i]!, 'available', 90_000).catch((e) => {
        throw new Error(`${e.message}\n${diagnose(i)}`);
      }),
    );
    await all(async (_s, i) => {
      for (const disk of Object.values(hosts[i]!.disks)) {
        const size = (await import('node:fs/promises')).stat(disk).then((s) => s.size);
        expect((await readRange(disk, 0, MiB)).every((b) => b === 0)).toBe(true);
        expect((await readRange(disk, (await size) - MiB, MiB)).every((b) => b === 0)).toBe(true);
      }
      const node = await getNode(system, uuids[i]!);
      expect(node.instance_info).toEqual({});
    });
  }, 600_000);
});
