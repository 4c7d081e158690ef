import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { describeServer, type ServerIdentity } from '../../../lab/src/index.js';
import { closeDriverConnections } from '../src/index.js';
import { bmcError, cleanUp, driverInfoFor, redfish, startBmc } from './lab-bmc.js';

afterEach(cleanUp);
afterAll(closeDriverConnections);

const GiB = 1024 ** 3;
/** Four 100 GiB SSDs and a 200 GiB HDD. */
function server(): ServerIdentity {
  const base = describeServer(5);
  const disk = (name: string, gib: number, rotational = false) => ({
    name,
    size_bytes: gib * GiB,
    rotational,
  });
  return {
    ...base,
    profile: {
      ...base.profile,
      disks: [
        disk('/dev/sda', 100),
        disk('/dev/sdb', 100),
        disk('/dev/sdc', 100),
        disk('/dev/sdd', 100),
        disk('/dev/sde', 200, true),
      ],
    },
  };
}
const start = () => startBmc({ server: server() });

describe('redfish raid', () => {
  it('lists the controller with its RAID levels, its drives and no volumes', async () => {
    const bmc = await start();
    const raid = redfish(driverInfoFor(bmc)).raid!;
    expect(await raid.controllers()).toEqual([
      {
        id: `${bmc.systemPath}/Storage/1`,
        name: 'Lab RAID controller',
        model: 'LabRAID 9460-8i',
        raid_types: ['RAID0', 'RAID1', 'RAID5', 'RAID10'],
        raid_levels: ['0', '1', '5', '1+0'],
        drives: ['Disk0', 'Disk1', 'Disk2', 'Disk3', 'Disk4'],
      },
    ]);
    const drives = await raid.drives();
    expect(drives[4]).toMatchObject({
      id: 'Disk4',
      name: '/dev/sde',
      capacity_bytes: 200 * GiB,
      media_type: 'HDD',
      protocol: 'SAS',
      volumes: [],
    });
    expect(drives[0]?.identifiers[0]).toMatch(/^5[0-9A-F]{15}$/);
    expect(await raid.volumes()).toEqual([]);
  });

  it('creates a root RAID1 and a MAX RAID0 at once (Immediate, as Ironic prefers), then deletes them', async () => {
    const bmc = await start();
    const raid = redfish(driverInfoFor(bmc)).raid!;
    const result = await raid.createConfiguration([
      { size_gb: 'MAX', raid_level: '0', physical_disks: ['Disk4'] },
      { size_gb: 50, raid_level: '1', is_root_volume: true },
    ]);
    expect(result.rebootRequired).toBe(false);
    expect(result.logical_disks).toMatchObject([
      {
        raid_level: '1',
        is_root_volume: true,
        size_gb: 50,
        physical_disks: ['Disk0', 'Disk1'],
        task: null,
      },
      { raid_level: '0', size_gb: 200, physical_disks: ['Disk4'], task: null },
    ]);
    expect(result.logical_disks[0]?.volume).toMatch(/\/Storage\/1\/Volumes\/\d+$/);
    const volumes = await raid.volumes();
    expect(volumes).toMatchObject([
      {
        name: 'root',
        raid_type: 'RAID1',
        raid_level: '1',
        size_gb: 50,
        physical_disks: ['Disk0', 'Disk1'],
      },
      { raid_type: 'RAID0', raid_level: '0', size_gb: 200, physical_disks: ['Disk4'] },
    ]);

    const { deleted } = await raid.deleteConfiguration();
    expect(deleted).toEqual(volumes.map((v) => v.path));
    expect(await raid.volumes()).toEqual([]);
    expect(bmc.state.volumes).toEqual([]);
  });

  it('with apply time OnReset the volume waits as a task for the next boot', async () => {
    const bmc = await start();
    const hardware = redfish(driverInfoFor(bmc));
    const raid = hardware.raid!;
    const result = await raid.createConfiguration(
      [{ size_gb: 150, raid_level: '1+0', volume_name: 'data' }],
      { applyTime: 'OnReset' },
    );
    expect(result.rebootRequired).toBe(true);
    expect(result.logical_disks[0]).toMatchObject({
      physical_disks: ['Disk0', 'Disk1', 'Disk2', 'Disk3'],
      volume: null,
      task: expect.stringMatching(/^\/redfish\/v1\/TaskService\/Tasks\/\d+$/),
    });
    expect(await raid.volumes()).toEqual([]);
    expect(bmc.state.pendingVolumes).toHaveLength(1);
    await hardware.power.setPowerState('power on');
    expect(await raid.volumes()).toMatchObject([{ name: 'data', raid_level: '1+0', size_gb: 150 }]);
  });

  it('refuses what the hardware cannot do, saying why, before creating anything', async () => {
    const bmc = await start();
    const raid = redfish(driverInfoFor(bmc)).raid!;
    const cases: [Parameters<typeof raid.createConfiguration>[0], string, RegExp][] = [
      [[{ size_gb: 10, raid_level: '6' }], 'unsupported', /no RAID controller .* supports RAID6/],
      [
        [{ size_gb: 10, raid_level: '1', physical_disks: ['Disk0'] }],
        'invalid_config',
        /needs exactly 2 drives; 1 given/,
      ],
      [[{ size_gb: 'MAX', raid_level: '0' }], 'invalid_config', /'MAX' needs physical_disks/],
      [[{ size_gb: 500, raid_level: '1' }], 'invalid_config', /no 2 free drives large enough/],
      [
        [{ size_gb: 10, raid_level: '0', physical_disks: ['Disk9'] }],
        'invalid_config',
        /has no drive Disk9/,
      ],
      [
        [
          { size_gb: 10, raid_level: '1', physical_disks: ['Disk0', 'Disk1'] },
          { size_gb: 10, raid_level: '0', physical_disks: ['Disk1'] },
        ],
        'invalid_config',
        /drive Disk1 already belongs to a volume/,
      ],
      [[{ size_gb: 10, raid_level: '7' as never }], 'invalid_config', /raid_level must be one of/],
    ];
    for (const [disks, kind, message] of cases) {
      const error = await bmcError(() => raid.createConfiguration(disks), kind as never);
      expect(error.message).toMatch(message);
    }
    expect(bmc.state.volumes).toEqual([]);
    expect(bmc.state.pendingVolumes).toEqual([]);
  });
});
