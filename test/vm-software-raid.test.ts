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
import { startVmLab, waitForVmNode, type VmLab } from './support/vm-lab.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** Two disks of 6 GiB: the RAID-1 of what is left after the ESP's room is over 4 GiB. */
const DISK_BYTES = 6 * GiB;
const PHASE_MS = 420_000;
/** Where the agent puts the RAID partition of each disk in UEFI mode (IPA: ESP_SIZE_MIB + 1). */
const RAID_PARTITION_START = 551 * MiB;
/** md superblock 1.2: 4 KiB into the member, magic a92b4efc little-endian, data_offset at 128. */
const MD_MAGIC = Buffer.from([0xfc, 0x4e, 0x2b, 0xa9]);

/** The first sector of the array's data on a member disk (from its md superblock), or null. */
async function arrayDataStart(disk: string): Promise<number | null> {
  const superblock = await readRange(disk, RAID_PARTITION_START + 4096, 256);
  if (!superblock.subarray(0, 4).equals(MD_MAGIC)) return null;
  return RAID_PARTITION_START + Number(superblock.readBigUInt64LE(128)) * 512;
}

/**
 * Issue 11: software RAID built by the agent (raid_interface agent) on a two-disk VM: a RAID-1 root
 * volume from a manual clean, the image deployed onto it and booted from the mirrored ESP, and the
 * array removed by delete_configuration.
 */
describe('software RAID on a virtual machine', () => {
  let lab: VmLab;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let image: MarkerOsImage;
  let origin: ImageOrigin;
  const phases: Array<[string, number]> = [];

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await buildMarkerOsImage(scratch.path, 64, { softwareRaid: true });
    origin = await ImageOrigin.start({ '/images/marker-os.qcow2': image.qcow2 });
    lab = await startVmLab(1, {}, {}, [], { disks: 2, diskBytes: DISK_BYTES });
  }, 900_000);
  afterAll(async () => {
    if (phases.length)
      console.error(
        `VM software RAID phases (${lab?.hosts[0]?.accelerator}):\n${phases.map(([p, ms]) => `  ${p.padEnd(28)} ${(ms / 1000).toFixed(1)} s`).join('\n')}`,
      );
    await lab?.stop();
    await origin?.close();
    await scratch?.remove();
  });

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

  const manualClean = async (uuid: string, step: string) => {
    const res = await lab.system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'clean',
      clean_steps: [{ interface: 'raid', step }],
    });
    expect(res.status, res.text).toBe(202);
    return waitForVmNode(lab.system, uuid, 'manageable', PHASE_MS);
  };

  it('create_configuration → deploy onto /dev/md0 → boots → delete_configuration', async () => {
    const { system, fleet, hosts } = lab;
    const server = fleet.servers[0]!;
    const host = hosts[0]!;
    expect(host.disks).toHaveLength(2);

    const uuid = await phase('enroll + manage', async () => {
      const res = await system.api('POST', '/v1/nodes', {
        ...vmNodeFields(server, host),
        raid_interface: 'agent',
      });
      expect(res.status, res.text).toBe(201);
      const id = res.body.uuid as string;
      expect((await getNode(system, id)).raid_interface).toBe('agent');
      await addBootPort(system, id, server.macs[0]);
      await setProvision(system, id, 'manage');
      await waitForVmNode(system, id, 'manageable', PHASE_MS);
      const raid = await system.api('PUT', `/v1/nodes/${id}/states/raid`, {
        logical_disks: [
          { size_gb: 'MAX', raid_level: '1', controller: 'software', is_root_volume: true },
        ],
      });
      expect(raid.status, raid.text).toBe(204);
      return id;
    });

    await phase('clean: create_configuration', async () => {
      const node = await manualClean(uuid, 'create_configuration');
      expect(node.raid_config.logical_disks).toEqual([
        { size_gb: 'MAX', raid_level: '1', controller: 'software', is_root_volume: true },
      ]);
      expect(node.properties.capabilities).toMatch(/raid_level:1/);
      // Both disks: a GPT, and an md member at 551 MiB with the same data offset.
      for (const disk of host.disks) {
        expect((await readRange(disk, 512, 8)).toString('latin1')).toBe('EFI PART');
        expect(await arrayDataStart(disk)).not.toBeNull();
      }
      expect(await arrayDataStart(host.disks[1]!)).toBe(await arrayDataStart(host.disks[0]!));
    });

    await phase('provide (cleaning)', async () => {
      await setProvision(system, uuid, 'provide');
      await waitForVmNode(system, uuid, 'available', PHASE_MS);
      for (const disk of host.disks) expect(await arrayDataStart(disk)).not.toBeNull();
    });

    const userData = '#ingot-vm-raid';
    await phase('deploy onto the RAID-1', async () => {
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
        configdrive: { meta_data: { uuid, hostname: server.name }, user_data: `${userData}\n` },
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
      // The image is mirrored: its GPT at the array's data start, the same bytes on both disks.
      const starts = await Promise.all(host.disks.map(arrayDataStart));
      const copies = await Promise.all(
        host.disks.map((disk, i) => readRange(disk, starts[i]!, 2 * MiB)),
      );
      expect(copies[0]!.subarray(512, 520).toString('latin1')).toBe('EFI PART');
      expect(copies[1]!.equals(copies[0]!)).toBe(true);
      // The image's ESP moved to the mirrored ESP at 1 MiB of each disk (a FAT labelled as the image's).
      for (const disk of host.disks)
        expect((await readRange(disk, MiB, 512)).toString('latin1')).toContain('INGOT-ESP');
    });

    await phase('undeploy (cleaning)', async () => {
      await setProvision(system, uuid, 'deleted');
      await waitForVmNode(system, uuid, 'available', PHASE_MS);
    });

    await phase('clean: delete_configuration', async () => {
      await setProvision(system, uuid, 'manage');
      await waitForVmNode(system, uuid, 'manageable', PHASE_MS);
      const node = await manualClean(uuid, 'delete_configuration');
      expect(node.raid_config).toEqual({});
      for (const disk of host.disks) {
        expect(await arrayDataStart(disk)).toBeNull();
        expect((await readRange(disk, 512, 8)).toString('latin1')).not.toBe('EFI PART');
      }
    });
  }, 3_600_000);
});
