import { describe, expect, it } from 'vitest';
import { validateContinueInspectionBody, validateInventory } from '../src/index.js';
import { continueInspectionBody, ipaInventory } from './fixtures/ipa-inventory.js';

const PREFIX = 'Inventory from the agent is malformed: ';

function messageFor(change: (raw: any) => void): string {
  const raw: any = ipaInventory();
  change(raw);
  const result = validateInventory(raw);
  if (result.ok) throw new Error('expected the inventory to be refused');
  return result.message;
}

describe('validateInventory', () => {
  it('accepts a real IPA inventory and returns it typed', () => {
    const result = validateInventory(ipaInventory());
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.inventory.cpu.count).toBe(112);
      expect(result.inventory.disks).toHaveLength(4);
    }
  });

  it('accepts fields IPA adds in later versions', () => {
    const raw: any = ipaInventory();
    raw.numa_topology = { nodes: [] };
    raw.cpu.vendor_id = 'GenuineIntel';
    raw.interfaces[0].mtu = 9000;
    expect(validateInventory(raw).ok).toBe(true);
  });

  it('takes memory from total alone, or with physical_mb unknown (dmidecode failed)', () => {
    const totalOnly: any = ipaInventory();
    totalOnly.memory = { total: 134953713664 };
    expect(validateInventory(totalOnly).ok).toBe(true);
    const physicalNull: any = ipaInventory();
    physicalNull.memory = { total: 134953713664, physical_mb: null };
    expect(validateInventory(physicalNull).ok).toBe(true);
    const physicalOnly: any = ipaInventory();
    physicalOnly.memory = { physical_mb: 131072 };
    expect(validateInventory(physicalOnly).ok).toBe(true);
  });

  it('accepts a diskless node (an empty disks list)', () => {
    const raw: any = ipaInventory();
    raw.disks = [];
    expect(validateInventory(raw).ok).toBe(true);
  });

  it('accepts the nulls IPA sends for facts it could not read', () => {
    const raw: any = ipaInventory();
    raw.bmc_address = null;
    raw.system_vendor = { product_name: null, serial_number: null, manufacturer: null };
    raw.boot = null;
    raw.cpu.flags = null;
    raw.disks[0].rotational = null;
    expect(validateInventory(raw).ok).toBe(true);
  });

  it.each([
    ['missing cpu', (r: any) => delete r.cpu, 'inventory.cpu is required'],
    [
      'a bad MAC',
      (r: any) => (r.interfaces[1].mac_address = 'zz'),
      "inventory.interfaces[1].mac_address 'zz' is not a MAC address",
    ],
    [
      'no interfaces',
      (r: any) => (r.interfaces = []),
      'inventory.interfaces must list at least 1 entry',
    ],
    ['interfaces absent', (r: any) => delete r.interfaces, 'inventory.interfaces is required'],
    ['memory absent', (r: any) => delete r.memory, 'inventory.memory is required'],
    [
      'memory without a size',
      (r: any) => (r.memory = { physical_mb: null }),
      'inventory.memory must have physical_mb (MiB) or total (bytes) as an integer >= 1',
    ],
    ['disks absent', (r: any) => delete r.disks, 'inventory.disks is required'],
    ['no CPUs', (r: any) => (r.cpu.count = 0), 'inventory.cpu.count must be an integer >= 1'],
    [
      'a fractional CPU count',
      (r: any) => (r.cpu.count = 1.5),
      'inventory.cpu.count must be an integer >= 1',
    ],
    [
      'an empty architecture',
      (r: any) => (r.cpu.architecture = ''),
      'inventory.cpu.architecture must not be empty',
    ],
    [
      'a disk size as text',
      (r: any) => (r.disks[2].size = '4 TB'),
      'inventory.disks[2].size must be an integer >= 0',
    ],
    [
      'a disk without a name',
      (r: any) => delete r.disks[0].name,
      'inventory.disks[0].name is required',
    ],
    [
      'a mistyped nested field',
      (r: any) => (r.system_vendor.manufacturer = 42),
      'inventory.system_vendor.manufacturer must be a string or null',
    ],
    [
      'a malformed LLDP TLV',
      (r: any) => (r.interfaces[0].lldp[0] = ['1', '04']),
      'inventory.interfaces[0].lldp[0][0] must be an integer >= 0',
    ],
    [
      'an interface that is text',
      (r: any) => (r.interfaces[0] = 'eno1'),
      'inventory.interfaces[0] must be an object',
    ],
  ])('refuses %s', (_case, change, problem) => {
    expect(messageFor(change)).toBe(PREFIX + problem);
  });

  it('names every problem in one message', () => {
    const message = messageFor((r) => {
      r.cpu.count = 0;
      r.interfaces[0].mac_address = 'zz';
    });
    expect(message).toBe(
      "Inventory from the agent is malformed: inventory.cpu.count must be an integer >= 1; inventory.interfaces[0].mac_address 'zz' is not a MAC address",
    );
  });

  it('refuses what is not an inventory at all', () => {
    expect(validateInventory(null)).toEqual({
      ok: false,
      message: PREFIX + 'inventory must be an object',
    });
    expect(validateInventory('{}')).toEqual({
      ok: false,
      message: PREFIX + 'inventory must be an object',
    });
    expect(validateInventory({})).toEqual({
      ok: false,
      message:
        PREFIX +
        'inventory.cpu is required; inventory.memory is required; inventory.disks is required; inventory.interfaces is required',
    });
  });
});

describe('validateContinueInspectionBody', () => {
  it('accepts what IPA posts', () => {
    const result = validateContinueInspectionBody(continueInspectionBody());
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.body.boot_interface).toBe('01-b4-96-91-6a-1c-40');
  });

  it('reports inventory and plugin data problems by their path in the body', () => {
    const body: any = continueInspectionBody();
    delete body.inventory.memory;
    body.root_disk = { name: '/dev/sda' };
    expect(validateContinueInspectionBody(body)).toEqual({
      ok: false,
      message: PREFIX + 'inventory.memory is required; root_disk.size is required',
    });
  });

  it('refuses what is not a body at all', () => {
    for (const raw of [undefined, null, [], 'inventory']) {
      expect(validateContinueInspectionBody(raw).ok, JSON.stringify(raw)).toBe(false);
    }
    expect(validateContinueInspectionBody([])).toEqual({
      ok: false,
      message: PREFIX + 'body must be an object',
    });
  });

  it('requires the inventory', () => {
    expect(validateContinueInspectionBody({ logs: '' })).toEqual({
      ok: false,
      message: PREFIX + 'inventory is required',
    });
  });

  it('accepts the agent token beside the data, and nothing but a string or null as one', () => {
    const body: any = continueInspectionBody();
    body.agent_token = 't'.repeat(43);
    expect(validateContinueInspectionBody(body).ok).toBe(true);
    body.agent_token = null;
    expect(validateContinueInspectionBody(body).ok).toBe(true);
    body.agent_token = 42;
    expect(validateContinueInspectionBody(body)).toEqual({
      ok: false,
      message: PREFIX + 'agent_token must be a string or null',
    });
  });
});
