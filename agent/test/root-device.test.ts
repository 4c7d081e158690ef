import { describe, expect, it } from 'vitest';
import type { TargetDisk } from '../src/disks/devices.js';
import { chooseRootDisk } from '../src/image/root-device.js';

const GiB = 1024 ** 3;

function disk(name: string, size: number, extra: Partial<TargetDisk['info']> = {}): TargetDisk {
  return {
    name,
    path: name,
    kind: 'block',
    info: {
      name,
      size,
      rotational: false,
      model: null,
      wwn: null,
      serial: null,
      vendor: null,
      wwn_with_extension: null,
      wwn_vendor_extension: null,
      hctl: null,
      by_path: null,
      logical_sectors: 512,
      physical_sectors: 512,
      tran: null,
      ...extra,
    },
  };
}

const disks = [
  disk('/dev/sda', 2 * GiB),
  disk('/dev/sdb', 500 * GiB, { rotational: true, serial: 'BIG1' }),
  disk('/dev/sdc', 64 * GiB, { serial: 'SSD1', model: 'Fast SSD' }),
];

describe('root device selection', () => {
  it('takes the smallest disk of at least 4 GiB by default', () => {
    expect(chooseRootDisk(disks, undefined, undefined).name).toBe('/dev/sdc');
  });

  it('honours an explicit name, then instance_info hints, then properties hints', () => {
    expect(chooseRootDisk(disks, '/dev/sdb', undefined).name).toBe('/dev/sdb');
    const node = {
      uuid: 'n',
      instance_info: { root_device: { serial: 'big1' } },
      properties: { root_device: { name: 'sdc' } },
    };
    expect(chooseRootDisk(disks, undefined, node).name).toBe('/dev/sdb');
    expect(chooseRootDisk(disks, undefined, { uuid: 'n', properties: node.properties }).name).toBe(
      '/dev/sdc',
    );
    expect(
      chooseRootDisk(disks, undefined, {
        uuid: 'n',
        properties: { root_device: { size: '>= 100' } },
      }).name,
    ).toBe('/dev/sdb');
    expect(
      chooseRootDisk(disks, undefined, {
        uuid: 'n',
        properties: { root_device: { rotational: false, size: 64 } },
      }).name,
    ).toBe('/dev/sdc');
  });

  it("reads '=' on sizes as Ironic does: at least (oslo specs_matcher's legacy >=)", () => {
    const node = (size: string) => ({ uuid: 'n', properties: { root_device: { size } } });
    expect(chooseRootDisk(disks, undefined, node('= 64')).name).toBe('/dev/sdb');
    expect(chooseRootDisk(disks, undefined, node('== 64')).name).toBe('/dev/sdc');
    expect(() => chooseRootDisk(disks, undefined, node('= 501'))).toThrow(
      /No disk satisfies the root device hints/,
    );
  });

  it('refuses hints Ironic does not know, naming them', () => {
    expect(() =>
      chooseRootDisk(disks, undefined, {
        uuid: 'n',
        properties: { root_device: { colour: 'red' } },
      }),
    ).toThrow(/"colour" is not supported/);
  });

  it('fails clearly when nothing matches', () => {
    expect(() => chooseRootDisk(disks, '/dev/sdz', undefined)).toThrow(
      /No disk satisfies the root device hints/,
    );
    expect(() => chooseRootDisk([disks[0]!], undefined, undefined)).toThrow(
      /No disk of at least 4 GiB/,
    );
  });
});

describe('root device selection with software RAID', () => {
  const raid = [
    disk('/dev/vda', 6 * GiB),
    disk('/dev/vdb', 6 * GiB),
    disk('/dev/md0', 5 * GiB, { holder_disks: ['/dev/vda', '/dev/vdb'] }),
    disk('/dev/md1', GiB / 2, { holder_disks: ['/dev/vda', '/dev/vdb'] }),
    disk('/dev/vdc', 4 * GiB),
  ];

  it('prefers the RAID device and never takes its holder disks', () => {
    expect(chooseRootDisk(raid, undefined, undefined).name).toBe('/dev/md0');
    expect(
      chooseRootDisk(raid, undefined, {
        uuid: 'n',
        properties: { root_device: { name: '/dev/md0' } },
      }).name,
    ).toBe('/dev/md0');
    // A hint may still pick a disk outside the array, but not one under it.
    expect(chooseRootDisk(raid, '/dev/vdc', undefined).name).toBe('/dev/vdc');
    expect(() => chooseRootDisk(raid, '/dev/vda', undefined)).toThrow(/No disk satisfies/);
  });
});
