// The hardware inventory in ironic-python-agent's format (what inspection and lookup consume).
export interface NetworkInterface {
  name: string;
  mac_address: string;
  ipv4_address: string | null;
  ipv6_address: string | null;
  has_carrier: boolean;
  vendor: string | null;
  product: string | null;
  speed_mbps: number | null;
  biosdevname: string | null;
  pci_address: string | null;
}

export interface Cpu {
  model_name: string | null;
  /** MHz, as a string, as IPA reports it. */
  frequency: string | null;
  /** Logical CPUs. */
  count: number;
  architecture: string;
  flags: string[];
  socket_count: number | null;
}

export interface Disk {
  /** Device path, e.g. "/dev/sda". */
  name: string;
  model: string | null;
  /** Bytes. */
  size: number;
  rotational: boolean;
  wwn: string | null;
  serial: string | null;
  vendor: string | null;
  wwn_with_extension: string | null;
  wwn_vendor_extension: string | null;
  hctl: string | null;
  by_path: string | null;
  logical_sectors: number | null;
  physical_sectors: number | null;
  tran: string | null;
}

export interface Memory {
  /** Bytes usable by the OS. */
  total: number;
  physical_mb: number;
}

export interface SystemVendor {
  product_name: string;
  serial_number: string;
  manufacturer: string;
  firmware: { vendor: string; version: string; build_date: string };
}

export type BootMode = 'uefi' | 'bios';

export interface Inventory {
  interfaces: NetworkInterface[];
  cpu: Cpu;
  disks: Disk[];
  memory: Memory;
  bmc_address: string | null;
  bmc_v6address: string | null;
  bmc_mac: string | null;
  system_vendor: SystemVendor;
  boot: { current_boot_mode: BootMode; pxe_interface: string | null };
  hostname: string;
}

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
