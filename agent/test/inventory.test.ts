import { describe, expect, it } from 'vitest';
import { bootifMac, collectHostInventory } from '../src/inventory/host/index.js';
import { checkLabProfile, labInventory } from '../src/inventory/lab.js';
import type { Inventory } from '../src/inventory/types.js';

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

/** What Ironic's continue_inspection and lookup rely on. */
function expectValidInventory(inventory: Inventory): void {
  expect(inventory.interfaces.length).toBeGreaterThan(0);
  for (const nic of inventory.interfaces) {
    expect(nic.mac_address).toMatch(MAC);
    expect(nic).toHaveProperty('ipv4_address');
    expect(nic).toHaveProperty('has_carrier');
  }
  expect(inventory.cpu.count).toBeGreaterThan(0);
  expect(typeof inventory.cpu.architecture).toBe('string');
  expect(inventory.memory.total).toBeGreaterThan(0);
  expect(inventory.memory.physical_mb).toBeGreaterThan(0);
  for (const disk of inventory.disks) {
    expect(disk.name).toMatch(/^\/dev\//);
    expect(disk.size).toBeGreaterThan(0);
    expect(typeof disk.rotational).toBe('boolean');
  }
  expect(['uefi', 'bios']).toContain(inventory.boot.current_boot_mode);
  expect(inventory.system_vendor.firmware).toBeDefined();
  expect(typeof inventory.hostname).toBe('string');
  expect(inventory).toHaveProperty('bmc_address');
}

describe('inventory', () => {
  it('reads this machine (host source), tolerating missing tools', async () => {
    const warnings: string[] = [];
    const inventory = await collectHostInventory((w) => warnings.push(w));
    expectValidInventory(inventory);
    expect(inventory.disks.length).toBeGreaterThan(0);
    // A round trip through JSON must not lose anything (it is sent as JSON).
    expect(JSON.parse(JSON.stringify(inventory))).toEqual(inventory);
  });

  it('describes a lab machine from its profile', () => {
    const inventory = labInventory({
      cpu: { model_name: 'Lab CPU', count: 8, architecture: 'x86_64', frequency: 2400 },
      memory_mb: 16384,
      disks: [
        {
          name: '/dev/sda',
          size_bytes: 64 * 1024 ** 3,
          rotational: false,
          serial: 'S1',
          wwn: '0x5000',
        },
        { name: '/dev/sdb', size_bytes: 500 * 1024 ** 3, rotational: true },
      ],
      interfaces: [
        { name: 'eth0', mac_address: '52:54:00:AA:00:01', ipv4_address: '127.0.0.1' },
        { name: 'eth1', mac_address: '52:54:00:aa:00:02' },
      ],
      system_vendor: {
        manufacturer: 'Ingot Lab',
        product_name: 'Simulated',
        firmware: { version: '1.0' },
      },
      boot_mode: 'bios',
      bmc_address: '127.0.0.1',
    });
    expectValidInventory(inventory);
    expect(inventory.interfaces.map((n) => n.mac_address)).toEqual([
      '52:54:00:aa:00:01',
      '52:54:00:aa:00:02',
    ]);
    expect(inventory.cpu).toMatchObject({ count: 8, frequency: '2400', architecture: 'x86_64' });
    expect(inventory.memory).toEqual({ total: 16384 * 1024 * 1024, physical_mb: 16384 });
    expect(inventory.disks[0]).toMatchObject({
      name: '/dev/sda',
      size: 64 * 1024 ** 3,
      serial: 'S1',
      wwn: '0x5000',
    });
    expect(inventory.disks[1]).toMatchObject({ rotational: true, serial: null });
    expect(inventory.system_vendor).toEqual({
      manufacturer: 'Ingot Lab',
      product_name: 'Simulated',
      serial_number: '',
      firmware: { vendor: '', version: '1.0', build_date: '' },
    });
    expect(inventory.boot).toEqual({
      current_boot_mode: 'bios',
      pxe_interface: '52:54:00:aa:00:01',
    });
    expect(inventory.bmc_address).toBe('127.0.0.1');
  });

  it('explains what is wrong with a profile', () => {
    expect(
      checkLabProfile({
        cpu: { count: 0 },
        memory_mb: -1,
        disks: [{ name: 'sda' }],
        interfaces: [],
      }),
    ).toEqual([
      'cpu.model_name: required string',
      'cpu.count: required positive integer',
      'cpu.architecture: required string',
      'memory_mb: required positive integer',
      'disks[0].name: required, like "/dev/sda"',
      'disks[0].size_bytes: required positive integer',
      'disks[0].rotational: required boolean',
      'interfaces: required non-empty array',
    ]);
  });

  it('reads the PXE interface from BOOTIF', () => {
    expect(bootifMac('quiet BOOTIF=01-52-54-00-AA-BB-CC ipa-debug=1')).toBe('52:54:00:aa:bb:cc');
    expect(bootifMac('quiet')).toBeNull();
  });
});
