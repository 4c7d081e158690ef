import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMarkerOsImage,
  ImageOrigin,
  MARKER,
  readRange,
  scratchDir,
  vmNodeFields,
  waitFor,
  type MarkerOsImage,
} from '@ingot/lab';
import { addBootPort } from './support/netboot.js';
import { getNode, setProvision } from './support/nodes.js';
import { startVmLab, TEST_VM, waitForVmNode, type VmLab } from './support/vm-lab.js';

const MiB = 1024 * 1024;
/** Per phase, on TCG (two cores, no KVM) with room to spare; KVM takes a fraction. */
const PHASE_MS = 420_000;

/**
 * Issue 8's acceptance: a QEMU VM driven by the lab's Redfish BMC goes through the whole
 * lifecycle with the real agent ramdisk booted from the virtual media ISO, and the image Ingot
 * deploys boots and prints its config drive on the serial console.
 */
describe('the whole lifecycle on a virtual machine', () => {
  let lab: VmLab;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let image: MarkerOsImage;
  let origin: ImageOrigin;
  const phases: Array<[string, number]> = [];

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await buildMarkerOsImage(scratch.path);
    origin = await ImageOrigin.start({ '/images/marker-os.qcow2': image.qcow2 });
    lab = await startVmLab(1);
  }, 900_000);
  afterAll(async () => {
    if (phases.length)
      console.error(
        `VM lifecycle phases (${lab?.hosts[0]?.accelerator}):\n${phases.map(([p, ms]) => `  ${p.padEnd(28)} ${(ms / 1000).toFixed(1)} s`).join('\n')}`,
      );
    await lab?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  /** Runs one phase, timing it; on failure the error carries the consoles and service logs. */
  const phase = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      const result = await body();
      phases.push([name, Date.now() - started]);
      return result;
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}\n${await lab.diagnosis()}`);
    }
  };

  it('enroll → manage → inspect → provide → deploy (marker on the console) → undeploy → available', async () => {
    const { system, fleet, hosts } = lab;
    const server = fleet.servers[0]!;
    const host = hosts[0]!;

    const uuid = await phase('enroll + manage', async () => {
      const res = await system.api('POST', '/v1/nodes', vmNodeFields(server, host));
      expect(res.status, res.text).toBe(201);
      const id = res.body.uuid as string;
      await addBootPort(system, id, server.macs[0]);
      await setProvision(system, id, 'manage');
      await waitForVmNode(system, id, 'manageable', PHASE_MS);
      return id;
    });

    await phase('inspect', async () => {
      await setProvision(system, uuid, 'inspect');
      const node = await waitForVmNode(system, uuid, 'manageable', PHASE_MS);
      expect(node.last_error).toBeNull();
      const { body } = await system.api('GET', `/v1/nodes/${uuid}/inventory`);
      const inventory = body.inventory;
      expect(inventory.cpu.count).toBe(TEST_VM.cpus);
      // What the VM has, as the firmware tables (dmidecode) report it.
      expect(inventory.memory.physical_mb).toBe(TEST_VM.memoryMb);
      const disks = inventory.disks as Array<{ size: number }>;
      expect(disks.map((d) => d.size)).toContain(TEST_VM.diskBytes);
      const macs = (inventory.interfaces as Array<{ mac_address: string }>).map((i) =>
        i.mac_address.toLowerCase(),
      );
      expect(macs).toContain(server.macs[0]);
      expect(node.properties).toMatchObject({
        cpus: TEST_VM.cpus,
        cpu_arch: 'x86_64',
        local_gb: TEST_VM.diskBytes / 1024 ** 3 - 1,
      });
      expect(server.bmc.state.power).toBe('Off');
    });

    // What cleaning must erase: a stale partition table and data at both ends of the disk.
    const disk = await open(host.disk, 'r+');
    await disk.write(randomBytes(MiB), 0, MiB, 0);
    await disk.write(randomBytes(MiB), 0, MiB, TEST_VM.diskBytes - MiB);
    await disk.close();

    await phase('provide (cleaning)', async () => {
      await setProvision(system, uuid, 'provide');
      await waitForVmNode(system, uuid, 'available', PHASE_MS);
      expect((await readRange(host.disk, 0, MiB)).every((b) => b === 0)).toBe(true);
      expect((await readRange(host.disk, TEST_VM.diskBytes - MiB, MiB)).every((b) => b === 0)).toBe(
        true,
      );
    });

    const userData = `#ingot-vm-test ${randomBytes(4).toString('hex')}`;
    await phase('deploy', async () => {
      const patch = await system.api('PATCH', `/v1/nodes/${uuid}`, [
        {
          op: 'add',
          path: '/instance_info/image_source',
          value: `${origin.url}/images/marker-os.qcow2`,
        },
        { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
        { op: 'add', path: '/instance_info/image_disk_format', value: 'qcow2' },
      ]);
      expect(patch.status, patch.text).toBe(200);
      const res = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
        target: 'active',
        configdrive: {
          meta_data: { uuid, hostname: server.name },
          user_data: `${userData}\nhostname: ${server.name}\n`,
        },
      });
      expect(res.status, res.text).toBe(202);
      await waitForVmNode(system, uuid, 'active', PHASE_MS);
    });

    await phase('deployed OS boots (marker)', async () => {
      const marker = `${MARKER} uuid=${uuid} user-data=${userData}`;
      await waitFor(
        `"${marker}" on the console ${host.consoleLog}`,
        async () => (await host.consoleText()).includes(marker),
        PHASE_MS,
        1_000,
      );
    });

    await phase('undeploy (cleaning)', async () => {
      await setProvision(system, uuid, 'deleted');
      await waitForVmNode(system, uuid, 'available', PHASE_MS);
      expect((await readRange(host.disk, 0, MiB)).every((b) => b === 0)).toBe(true);
      const node = await getNode(system, uuid);
      expect(node.instance_info).toEqual({});
    });
  }, 3_600_000);
});
