import type { Inventory } from '@ingot/contracts';
import type { HardwareDetails } from '@ingot/metal3';

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** Drops undefined fields, so that a status compares equal to what the API server returns. */
function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function memoryMebibytes(memory: Inventory['memory']): number | undefined {
  if (typeof memory.physical_mb === 'number' && memory.physical_mb > 0) return memory.physical_mb;
  if (typeof memory.total === 'number' && memory.total > 0)
    return Math.round(memory.total / 1024 / 1024);
  return undefined;
}

/**
 * Metal3's HardwareDetails (status.hardware, HardwareData spec.hardware) from the agent's
 * inventory, as baremetal-operator derives them from Ironic's: CAPM3 reads NIC addresses here.
 */
export function hardwareDetailsOf(inventory: Inventory, pxeMac?: string): HardwareDetails {
  const vendor = inventory.system_vendor ?? undefined;
  const frequency = Number(inventory.cpu.frequency);
  return compact({
    systemVendor: vendor
      ? compact({
          manufacturer: text(vendor.manufacturer),
          productName: text(vendor.product_name),
          serialNumber: text(vendor.serial_number),
        })
      : undefined,
    firmware: vendor?.firmware
      ? {
          bios: compact({
            vendor: text(vendor.firmware.vendor),
            version: text(vendor.firmware.version),
            date: text(vendor.firmware.build_date),
          }),
        }
      : undefined,
    ramMebibytes: memoryMebibytes(inventory.memory),
    nics: inventory.interfaces.map((nic) =>
      compact({
        name: text(nic.name),
        model: text([nic.vendor, nic.product].filter(Boolean).join(' ')),
        mac: nic.mac_address.toLowerCase(),
        ip: text(nic.ipv4_address) ?? text(nic.ipv6_address),
        speedGbps:
          typeof nic.speed_mbps === 'number' ? Math.floor(nic.speed_mbps / 1000) : undefined,
        pxe: pxeMac !== undefined && nic.mac_address.toLowerCase() === pxeMac.toLowerCase(),
      }),
    ),
    storage: inventory.disks.map((disk) =>
      compact({
        name: disk.name,
        sizeBytes: disk.size,
        rotational: disk.rotational ?? undefined,
        type: disk.rotational ? 'HDD' : disk.name.includes('nvme') ? 'NVME' : 'SSD',
        vendor: text(disk.vendor),
        model: text(disk.model),
        serialNumber: text(disk.serial),
        wwn: text(disk.wwn),
        wwnWithExtension: text(disk.wwn_with_extension),
        wwnVendorExtension: text(disk.wwn_vendor_extension),
        hctl: text(disk.hctl),
        alternateNames: text(disk.by_path) ? [disk.by_path!] : undefined,
      }),
    ),
    cpu: compact({
      arch: inventory.cpu.architecture,
      model: text(inventory.cpu.model_name),
      clockMegahertz: Number.isFinite(frequency) && frequency > 0 ? frequency : undefined,
      flags: inventory.cpu.flags ?? undefined,
      count: inventory.cpu.count,
    }),
    hostname: text(inventory.hostname),
  }) as HardwareDetails;
}
