import { describe, expect, it } from 'vitest';
import { partitionPath, softwareRaidProblems } from '../src/disks/software-raid.js';
import { targetBootMode } from '../src/image/raid-boot.js';

const rootMirror = {
  size_gb: 'MAX' as const,
  raid_level: '1',
  controller: 'software',
  is_root_volume: true,
};

describe("software RAID checks (IPA's validate_configuration)", () => {
  it('takes one or two software logical disks, RAID-1 first', () => {
    expect(softwareRaidProblems({ logical_disks: [rootMirror] })).toEqual([]);
    expect(
      softwareRaidProblems({
        logical_disks: [
          { ...rootMirror, size_gb: 10 },
          { size_gb: 'MAX', raid_level: '1+0', controller: 'software' },
        ],
      }),
    ).toEqual([]);
  });

  it('names what IPA refuses', () => {
    expect(softwareRaidProblems({ logical_disks: [{ ...rootMirror, raid_level: '0' }] })).toEqual([
      'Software RAID Configuration requires RAID-1 for the first logical disk',
    ]);
    expect(
      softwareRaidProblems({ logical_disks: [{ ...rootMirror, controller: 'RAID.1' }] }),
    ).toEqual([
      "Software RAID configuration requires all logical disks to have 'controller'='software'",
    ]);
    expect(softwareRaidProblems({ logical_disks: [rootMirror, { ...rootMirror }] })).toEqual([
      'Software RAID configuration allows only one logical disk to be marked as is_root_volume',
      "Software RAID can have only one RAID device with size 'MAX'",
    ]);
    expect(
      softwareRaidProblems({
        logical_disks: [rootMirror, { size_gb: 1, raid_level: '5', controller: 'software' }],
      }),
    ).toEqual(['Software RAID configuration does not support RAID level 5']);
    expect(
      softwareRaidProblems({
        logical_disks: [{ ...rootMirror, physical_disks: [{ name: '/dev/vda' }] }],
      }),
    ).toEqual([
      'The physical_disks parameter for software RAID must be a list with at least 2 items, each specifying a disk in the device hints format',
    ]);
  });

  it('names member partitions as the kernel does', () => {
    expect(partitionPath('/dev/vda', 1)).toBe('/dev/vda1');
    expect(partitionPath('/dev/nvme0n1', 2)).toBe('/dev/nvme0n1p2');
  });

  it("boots the instance in the node's boot mode, else the ramdisk's", () => {
    expect(targetBootMode(undefined, 'uefi')).toBe('uefi');
    expect(
      targetBootMode({ uuid: 'n', properties: { capabilities: 'boot_mode:bios' } }, 'uefi'),
    ).toBe('bios');
    expect(targetBootMode({ uuid: 'n', instance_info: { deploy_boot_mode: 'uefi' } }, 'bios')).toBe(
      'uefi',
    );
  });
});
