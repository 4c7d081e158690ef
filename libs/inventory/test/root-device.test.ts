import { describe, expect, it } from 'vitest';
import type { InventoryDisk } from '@ingot/contracts';
import {
  GiB,
  chooseRootDevice,
  matchRootDevice,
  parseRootDeviceHints,
  type RootDeviceHint,
} from '../src/index.js';
import { HDD, NVME, SD_READER, SSD } from './fixtures/ipa-inventory.js';

// Inventory order as IPA lists them: 447 GiB SSD, 3 GiB reader, 3726 GiB HDD, 1490 GiB NVMe.
const DISKS: InventoryDisk[] = [SSD, SD_READER, HDD, NVME];

function hintsFrom(raw: Record<string, unknown>): RootDeviceHint[] {
  const parsed = parseRootDeviceHints(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.hints;
}

const match = (raw: Record<string, unknown>) =>
  matchRootDevice(DISKS, hintsFrom(raw))?.name ?? null;

describe('matchRootDevice', () => {
  it.each<[string, Record<string, unknown>, string | null]>([
    // name: with or without /dev/, case-insensitive, every string operator
    ['name with /dev/', { name: '/dev/sdc' }, '/dev/sdc'],
    ['name without /dev/', { name: 'nvme0n1' }, '/dev/nvme0n1'],
    ['name in another case', { name: 'SDC' }, '/dev/sdc'],
    ['name s==', { name: 's== /dev/sdc' }, '/dev/sdc'],
    ['name s!=', { name: 's!= sda' }, '/dev/sdb'],
    ['name <in>', { name: '<in> nvme' }, '/dev/nvme0n1'],
    ['name <or>', { name: '<or> /dev/sdz <or> sdc' }, '/dev/sdc'],
    ['name matching nothing', { name: '/dev/sdz' }, null],
    // model, vendor, serial: lowercased comparisons, values with spaces
    ['model, lowercased', { model: 'samsung mz7lh480hahq-00005' }, '/dev/sda'],
    ['model with spaces', { model: 's== Dell Ent NVMe AGN MU U.2 1.6TB' }, '/dev/nvme0n1'],
    ['model <in>', { model: '<in> ST4000' }, '/dev/sdc'],
    ['model s!=', { model: 's!= SAMSUNG MZ7LH480HAHQ-00005' }, '/dev/sdb'],
    ['vendor, first of several', { vendor: 'ata' }, '/dev/sda'],
    ['vendor <or>', { vendor: '<or> nope <or> Generic' }, '/dev/sdb'],
    ['vendor absent on the disk never matches', { vendor: 's!= ata', rotational: false }, null],
    ['serial', { serial: 'ZC1A2B3C' }, '/dev/sdc'],
    ['serial, lowercased', { serial: 'zc1a2b3c' }, '/dev/sdc'],
    ['serial s<', { serial: 's< t' }, '/dev/sda'],
    ['serial s>=', { serial: 's>= zc' }, '/dev/sdc'],
    // WWNs, SCSI address, by-path
    ['wwn', { wwn: '0x5000C500A1B2C3D4' }, '/dev/sdc'],
    ['wwn of an NVMe (EUI)', { wwn: 'eui.36344730526001230025384500000001' }, '/dev/nvme0n1'],
    ['wwn_with_extension', { wwn_with_extension: '0x5002538e40a1b2c3' }, '/dev/sda'],
    ['wwn_vendor_extension nobody has', { wwn_vendor_extension: '0x1' }, null],
    ['hctl', { hctl: '0:0:1:0' }, '/dev/sdc'],
    ['hctl <in>', { hctl: '<in> 6:0' }, '/dev/sdb'],
    ['by_path', { by_path: '/dev/disk/by-path/pci-0000:3b:00.0-nvme-1' }, '/dev/nvme0n1'],
    // rotational: booleans and their spellings
    ['rotational true', { rotational: true }, '/dev/sdb'],
    ['rotational "true"', { rotational: 'true' }, '/dev/sdb'],
    ['rotational "false"', { rotational: 'false' }, '/dev/sda'],
    ['rotational false', { rotational: false }, '/dev/sda'],
    ['rotational "yes"', { rotational: 'yes' }, '/dev/sdb'],
    ['rotational "0"', { rotational: '0' }, '/dev/sda'],
    // size: whole GiB, floor(bytes / GiB), every number operator
    ['size as a number', { size: 447 }, '/dev/sda'],
    ['size as text', { size: '447' }, '/dev/sda'],
    ['size the next GiB up', { size: 448 }, null],
    ['size ==', { size: '== 1490' }, '/dev/nvme0n1'],
    ['size !=', { size: '!= 447' }, '/dev/sdb'],
    ['size >= 100', { size: '>= 100' }, '/dev/sda'],
    ['size >= 1000', { size: '>= 1000' }, '/dev/sdc'],
    ['size <=', { size: '<= 3' }, '/dev/sdb'],
    ['size >', { size: '> 447' }, '/dev/sdc'],
    ['size <', { size: '< 447' }, '/dev/sdb'],
    ['size <or>', { size: '<or> 100 <or> 1490' }, '/dev/nvme0n1'],
    ['size = (legacy spelling of >=)', { size: '= 1000' }, '/dev/sdc'],
    ['size beyond every disk', { size: '> 4000' }, null],
    // all hints must hold
    ['a range and no spinning', { size: '>= 1000', rotational: false }, '/dev/nvme0n1'],
    ['vendor and rotational', { vendor: 'ATA', rotational: 'true' }, '/dev/sdc'],
    ['model and size that disagree', { model: '<in> samsung', size: '> 500' }, null],
  ])('%s', (_case, hints, expected) => {
    expect(match(hints)).toBe(expected);
  });

  it('returns the disk object itself', () => {
    expect(matchRootDevice(DISKS, hintsFrom({ serial: 'S61BNA0R700123' }))).toBe(NVME);
  });

  it('matches every disk when there are no hints, and none of no disks', () => {
    expect(matchRootDevice(DISKS, [])).toBe(SSD);
    expect(matchRootDevice([], hintsFrom({ size: '>= 1' }))).toBeNull();
  });
});

describe('parseRootDeviceHints', () => {
  it('normalizes operators, case and /dev/ prefixes', () => {
    expect(
      parseRootDeviceHints({
        size: '>= 100',
        model: 'S== Foo  Bar ',
        name: '/dev/sda',
        serial: '<or> A <or> b',
        rotational: 'false',
      }),
    ).toEqual({
      ok: true,
      hints: [
        { name: 'size', op: '>=', values: [100] },
        { name: 'model', op: 's==', values: ['foo  bar'] },
        { name: 'name', op: 's==', values: ['sda'] },
        { name: 'serial', op: '<or>', values: ['a', 'b'] },
        { name: 'rotational', op: '==', values: [false] },
      ],
    });
  });

  const VALID =
    'model, vendor, serial, wwn, wwn_with_extension, wwn_vendor_extension, name, hctl, by_path, size, rotational';
  it.each<[string, Record<string, unknown>, string]>([
    [
      'an unknown hint',
      { disk: 'sda' },
      `Root device hint "disk" is not supported; valid hints are: ${VALID}`,
    ],
    [
      'unknown hints',
      { disk: 'sda', label: 'root', size: 10 },
      `Root device hints "disk", "label" are not supported; valid hints are: ${VALID}`,
    ],
    [
      'a size in words',
      { size: 'big' },
      `Root device hint "size" must be a positive whole number of GiB, got 'big'`,
    ],
    [
      'a size of zero',
      { size: 0 },
      'Root device hint "size" must be a positive whole number of GiB, got 0',
    ],
    [
      'a negative size',
      { size: -5 },
      'Root device hint "size" must be a positive whole number of GiB, got -5',
    ],
    [
      'a fractional size',
      { size: '>= 10.5' },
      `Root device hint "size" must be a positive whole number of GiB, got '>= 10.5'`,
    ],
    [
      'a size with a unit',
      { size: '100GB' },
      `Root device hint "size" must be a positive whole number of GiB, got '100GB'`,
    ],
    [
      'a size as an object',
      { size: { min: 1 } },
      'Root device hint "size" must be a size in GiB, got {"min":1}',
    ],
    [
      'a string operator on size',
      { size: 's== 100' },
      'Root device hint "size" has operator "s==", which does not apply to sizes; use one of ==, !=, >=, <=, >, <, =, <or>',
    ],
    [
      'a number operator on a string',
      { model: '>= 5' },
      'Root device hint "model" has operator ">=", which does not apply to strings; use one of s==, s!=, s<, s<=, s>, s>=, <in>, <or>',
    ],
    [
      'an unknown operator',
      { model: '<all-in> foo' },
      'Root device hint "model" has operator "<all-in>", which does not apply to strings; use one of s==, s!=, s<, s<=, s>, s>=, <in>, <or>',
    ],
    [
      'an operator without a value',
      { size: '>=' },
      'Root device hint "size" has operator ">=" but no value',
    ],
    [
      'a string hint that is a number',
      { serial: 12345 },
      'Root device hint "serial" must be a string, got 12345',
    ],
    ['an empty string hint', { model: '   ' }, 'Root device hint "model" is empty'],
    [
      'a rotational maybe',
      { rotational: 'maybe' },
      `Root device hint "rotational" must be a boolean (true/false), got 'maybe'`,
    ],
    [
      'several bad hints',
      { size: 'x', rotational: 2 },
      `Root device hint "size" must be a positive whole number of GiB, got 'x'; Root device hint "rotational" must be a boolean (true/false), got 2`,
    ],
  ])('refuses %s', (_case, hints, message) => {
    expect(parseRootDeviceHints(hints)).toEqual({ ok: false, message });
  });
});

describe('chooseRootDevice', () => {
  it('without hints takes the smallest disk of at least 4 GiB (skipping the SD reader)', () => {
    expect(chooseRootDevice(DISKS)).toEqual({ ok: true, disk: SSD });
    expect(chooseRootDevice(DISKS, {})).toEqual({ ok: true, disk: SSD });
    expect(chooseRootDevice(DISKS, null)).toEqual({ ok: true, disk: SSD });
  });

  it('takes a disk of exactly 4 GiB, the first of equal ones, none under 4 GiB', () => {
    const a = { name: '/dev/vda', size: 4 * GiB };
    const b = { name: '/dev/vdb', size: 4 * GiB };
    const tiny = { name: '/dev/vdc', size: 4 * GiB - 1 };
    expect(chooseRootDevice([tiny, a, b])).toEqual({ ok: true, disk: a });
    expect(chooseRootDevice([tiny, SD_READER])).toEqual({ ok: true, disk: null });
  });

  it('finds no root device on a diskless node, which is not an error', () => {
    expect(chooseRootDevice([])).toEqual({ ok: true, disk: null });
  });

  it('with hints takes the matching disk, even one under 4 GiB', () => {
    expect(chooseRootDevice(DISKS, { size: '>= 1000', rotational: false })).toEqual({
      ok: true,
      disk: NVME,
    });
    expect(chooseRootDevice(DISKS, { name: 'sdb' })).toEqual({ ok: true, disk: SD_READER });
  });

  it('lists the hints and the disks seen when nothing matches', () => {
    expect(chooseRootDevice(DISKS, { size: '>= 5000', rotational: true })).toEqual({
      ok: false,
      message:
        'No disk satisfies the root device hints {"size":">= 5000","rotational":true}; disks seen: ' +
        '/dev/sda (447 GiB, rotational false), /dev/sdb (3 GiB, rotational true), ' +
        '/dev/sdc (3726 GiB, rotational true), /dev/nvme0n1 (1490 GiB, rotational false)',
    });
    expect(chooseRootDevice(DISKS, { serial: 'NOPE', name: 'sda' })).toEqual({
      ok: false,
      message:
        'No disk satisfies the root device hints {"serial":"NOPE","name":"sda"}; disks seen: ' +
        "/dev/sda (447 GiB, serial 'S45PNA0M512345'), /dev/sdb (3 GiB, serial '000000264001'), " +
        "/dev/sdc (3726 GiB, serial 'ZC1A2B3C'), /dev/nvme0n1 (1490 GiB, serial 'S61BNA0R700123')",
    });
    expect(chooseRootDevice([], { size: 100 })).toEqual({
      ok: false,
      message: 'No disk satisfies the root device hints {"size":100}; disks seen: none',
    });
  });

  it('passes on invalid hints as an error', () => {
    expect(chooseRootDevice(DISKS, { size: 'huge' })).toEqual({
      ok: false,
      message: `Root device hint "size" must be a positive whole number of GiB, got 'huge'`,
    });
  });
});
