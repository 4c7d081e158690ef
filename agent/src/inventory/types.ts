// The hardware inventory in ironic-python-agent's format (what inspection and lookup consume):
// the wire types of @ingot/contracts, with the fields this agent always reports made required.
import type {
  Inventory as WireInventory,
  InventoryCpu,
  InventoryDisk,
  InventoryInterface,
  InventoryMemory,
} from '@ingot/contracts';

/**
 * T with the keys K always present (a value or null, as the wire type allows) and the keys of
 * Narrower replaced by narrower types.
 */
type Reported<
  T,
  K extends keyof T,
  Narrower extends Partial<Record<keyof T, unknown>> = Record<never, never>,
> = Omit<T, K | keyof Narrower> & { [P in K]-?: Exclude<T[P], undefined> } & Narrower;

export type NetworkInterface = Reported<
  InventoryInterface,
  | 'name'
  | 'ipv4_address'
  | 'ipv6_address'
  | 'vendor'
  | 'product'
  | 'speed_mbps'
  | 'biosdevname'
  | 'pci_address',
  { has_carrier: boolean }
>;

export type Cpu = Reported<
  InventoryCpu,
  'model_name' | 'socket_count',
  {
    /** MHz, as a string, as IPA reports it. */
    frequency: string | null;
    flags: string[];
  }
>;

export type Disk = Reported<
  InventoryDisk,
  | 'model'
  | 'wwn'
  | 'serial'
  | 'vendor'
  | 'wwn_with_extension'
  | 'wwn_vendor_extension'
  | 'hctl'
  | 'by_path'
  | 'logical_sectors'
  | 'physical_sectors'
  | 'tran',
  {
    rotational: boolean;
    /** An md device's (software RAID) disks, as IPA's get_holder_disks: never install targets. */
    holder_disks?: string[];
  }
>;

/** Both: bytes usable by the OS (total) and installed MiB (physical_mb). */
export type Memory = InventoryMemory & { total: number; physical_mb: number };

type WireSystemVendor = NonNullable<WireInventory['system_vendor']>;
export type SystemVendor = WireSystemVendor & {
  product_name: string;
  serial_number: string;
  manufacturer: string;
  firmware: { vendor: string; version: string; build_date: string };
};

export type BootMode = 'uefi' | 'bios';

export type Inventory = Reported<
  WireInventory,
  'bmc_address' | 'bmc_v6address' | 'bmc_mac',
  {
    interfaces: NetworkInterface[];
    cpu: Cpu;
    disks: Disk[];
    memory: Memory;
    system_vendor: SystemVendor;
    boot: { current_boot_mode: BootMode; pxe_interface: string | null };
    hostname: string;
  }
>;

/** What IPA reports when it finds no BMC (Ironic treats these as "none"). */
export const NO_BMC_V4 = '0.0.0.0';
export const NO_BMC_V6 = '::/0';

export function emptySystemVendor(): SystemVendor {
  return {
    product_name: '',
    serial_number: '',
    manufacturer: '',
    firmware: { vendor: '', version: '', build_date: '' },
  };
}
