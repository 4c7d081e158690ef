import { describe, expect, it } from 'vitest';
import { GiB, MiB, chooseRootDevice } from '@ingot/inventory';
import { propertiesFromInventory } from '../src/index.js';
import { NVME, SSD } from '../../../libs/inventory/test/fixtures/ipa-inventory.js';
import { validInventory } from './helpers.js';

describe('propertiesFromInventory', () => {
  it('sets cpus, cpu_arch, memory_mb and local_gb from a real inventory', () => {
    const inventory = validInventory();
    const root = chooseRootDevice(inventory.disks);
    if (!root.ok) throw new Error(root.message);
    expect(propertiesFromInventory(inventory, root.disk)).toEqual({
      cpus: 112,
      cpu_arch: 'x86_64',
      memory_mb: 131072,
      local_gb: 446, // the SSD holds 447.13 GiB: 447 whole GiB, minus 1 for partitioning
    });
  });

  it('sizes local_gb from the chosen root disk', () => {
    expect(propertiesFromInventory(validInventory(), NVME).local_gb).toBe(1489);
  });

  it('falls back to the memory the kernel sees when DMI gave nothing', () => {
    const total = 134953713664; // 128701.6 MiB
    const fromTotal = validInventory((raw) => (raw.memory = { total, physical_mb: null }));
    expect(propertiesFromInventory(fromTotal, SSD).memory_mb).toBe(128701);
    const zeroPhysical = validInventory((raw) => (raw.memory = { total: 8 * GiB, physical_mb: 0 }));
    expect(propertiesFromInventory(zeroPhysical, SSD).memory_mb).toBe(8192);
    const physicalOnly = validInventory((raw) => (raw.memory = { physical_mb: 4096 }));
    expect(propertiesFromInventory(physicalOnly, SSD).memory_mb).toBe(4096);
    expect(MiB * 1024).toBe(GiB);
  });

  it.each([
    ['no root disk (diskless)', null, 0],
    ['a disk under 1 GiB', 512 * MiB, 0],
    ['exactly 1 GiB', GiB, 0],
    ['1 GiB and a byte short of 2', 2 * GiB - 1, 0],
    ['exactly 2 GiB', 2 * GiB, 1],
    ['exactly 100 GiB', 100 * GiB, 99],
    ['100 GiB and a half', 100.5 * GiB, 99],
    ['an empty disk', 0, 0],
  ])('local_gb for %s', (_case, size, localGb) => {
    const disk = size === null ? null : { size };
    expect(propertiesFromInventory(validInventory(), disk).local_gb).toBe(localGb);
  });
});
