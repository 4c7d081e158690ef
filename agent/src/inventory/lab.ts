// The 'lab' inventory source: a JSON profile describing a simulated machine.
import { readFile } from 'node:fs/promises';
import type { BootMode, Disk, Inventory, NetworkInterface } from './types.js';
import { NO_BMC_V4, NO_BMC_V6, emptySystemVendor } from './types.js';

export interface LabDiskProfile {
  /** Device name, e.g. "/dev/sda"; the config's `disks` maps it to a file. */
  name: string;
  size_bytes: number;
  rotational: boolean;
  model?: string;
  serial?: string;
  wwn?: string;
  vendor?: string;
  hctl?: string;
  by_path?: string;
}

export interface LabInterfaceProfile {
  name: string;
  mac_address: string;
  ipv4_address?: string;
}

/** A simulated machine, as the lab writes it for each server (config `hardware_profile`). */
export interface LabHardwareProfile {
  cpu: { model_name: string; count: number; architecture: string; frequency?: string | number };
  memory_mb: number;
  disks: LabDiskProfile[];
  interfaces: LabInterfaceProfile[];
  system_vendor?: {
    product_name?: string;
    serial_number?: string;
    manufacturer?: string;
    firmware?: { vendor?: string; version?: string; build_date?: string };
  };
  boot_mode?: BootMode;
  bmc_address?: string;
  hostname?: string;
}

const MAC_RE = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;

export class LabProfileError extends Error {
  constructor(path: string, problems: string[]) {
    super(`invalid hardware profile ${path}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'LabProfileError';
  }
}

export async function loadLabProfile(path: string): Promise<LabHardwareProfile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new LabProfileError(path, [(err as Error).message]);
  }
  const problems = checkLabProfile(raw);
  if (problems.length > 0) throw new LabProfileError(path, problems);
  return raw as LabHardwareProfile;
}

/** Every problem with a profile, or none: the lab writes these, so be precise about mistakes. */
export function checkLabProfile(raw: unknown): string[] {
  const problems: string[] = [];
  const p = raw as Partial<LabHardwareProfile> | null;
  if (typeof p !== 'object' || p === null) return ['the profile must be a JSON object'];
  const cpu = p.cpu;
  if (typeof cpu !== 'object' || cpu === null) problems.push('cpu: required object');
  else {
    if (typeof cpu.model_name !== 'string') problems.push('cpu.model_name: required string');
    if (!isPositiveInteger(cpu.count)) problems.push('cpu.count: required positive integer');
    if (typeof cpu.architecture !== 'string') problems.push('cpu.architecture: required string');
  }
  if (!isPositiveInteger(p.memory_mb)) problems.push('memory_mb: required positive integer');
  if (!Array.isArray(p.disks)) problems.push('disks: required array');
  else {
    p.disks.forEach((disk, i) => {
      if (typeof disk?.name !== 'string' || !disk.name.startsWith('/dev/')) {
        problems.push(`disks[${i}].name: required, like "/dev/sda"`);
      }
      if (!isPositiveInteger(disk?.size_bytes)) {
        problems.push(`disks[${i}].size_bytes: required positive integer`);
      }
      if (typeof disk?.rotational !== 'boolean')
        problems.push(`disks[${i}].rotational: required boolean`);
    });
  }
  if (!Array.isArray(p.interfaces) || p.interfaces.length === 0) {
    problems.push('interfaces: required non-empty array');
  } else {
    p.interfaces.forEach((nic, i) => {
      if (typeof nic?.name !== 'string') problems.push(`interfaces[${i}].name: required string`);
      if (typeof nic?.mac_address !== 'string' || !MAC_RE.test(nic.mac_address)) {
        problems.push(`interfaces[${i}].mac_address: required, like "52:54:00:00:00:01"`);
      }
    });
  }
  if (p.boot_mode !== undefined && p.boot_mode !== 'uefi' && p.boot_mode !== 'bios') {
    problems.push('boot_mode: must be "uefi" or "bios"');
  }
  return problems;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

export function labInventory(profile: LabHardwareProfile): Inventory {
  const vendor = emptySystemVendor();
  const sv = profile.system_vendor ?? {};
  return {
    interfaces: profile.interfaces.map(labInterface),
    cpu: {
      model_name: profile.cpu.model_name,
      frequency: profile.cpu.frequency === undefined ? null : String(profile.cpu.frequency),
      count: profile.cpu.count,
      architecture: profile.cpu.architecture,
      flags: [],
      socket_count: 1,
    },
    disks: profile.disks.map(labDisk),
    memory: { total: profile.memory_mb * 1024 * 1024, physical_mb: profile.memory_mb },
    bmc_address: profile.bmc_address ?? NO_BMC_V4,
    bmc_v6address: NO_BMC_V6,
    bmc_mac: null,
    system_vendor: {
      product_name: sv.product_name ?? vendor.product_name,
      serial_number: sv.serial_number ?? vendor.serial_number,
      manufacturer: sv.manufacturer ?? vendor.manufacturer,
      firmware: { ...vendor.firmware, ...(sv.firmware ?? {}) },
    },
    boot: {
      current_boot_mode: profile.boot_mode ?? 'uefi',
      pxe_interface: profile.interfaces[0]?.mac_address.toLowerCase() ?? null,
    },
    hostname: profile.hostname ?? 'localhost',
  };
}

function labInterface(nic: LabInterfaceProfile): NetworkInterface {
  return {
    name: nic.name,
    mac_address: nic.mac_address.toLowerCase(),
    ipv4_address: nic.ipv4_address ?? null,
    ipv6_address: null,
    has_carrier: true,
    vendor: null,
    product: null,
    speed_mbps: null,
    biosdevname: null,
    pci_address: null,
  };
}

function labDisk(disk: LabDiskProfile): Disk {
  return {
    name: disk.name,
    model: disk.model ?? null,
    size: disk.size_bytes,
    rotational: disk.rotational,
    wwn: disk.wwn ?? null,
    serial: disk.serial ?? null,
    vendor: disk.vendor ?? null,
    wwn_with_extension: disk.wwn ?? null,
    wwn_vendor_extension: null,
    hctl: disk.hctl ?? null,
    by_path: disk.by_path ?? null,
    logical_sectors: 512,
    physical_sectors: 512,
    tran: null,
  };
}
