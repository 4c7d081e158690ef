// System vendor and firmware (DMI), boot mode, PXE interface, BMC address.
import { findTool, runTool, tryTool } from '../../tools.js';
import type { BootMode, SystemVendor } from '../types.js';
import { NO_BMC_V4, emptySystemVendor } from '../types.js';
import type { Warn } from './probe.js';
import { exists, readText } from './probe.js';

export async function readSystemVendor(warn: Warn): Promise<SystemVendor> {
  const dmi = (field: string) => readText(`/sys/class/dmi/id/${field}`);
  const vendor = emptySystemVendor();
  const fromSysfs = {
    product_name: await dmi('product_name'),
    serial_number: await dmi('product_serial'),
    manufacturer: await dmi('sys_vendor'),
    firmware: {
      vendor: await dmi('bios_vendor'),
      version: await dmi('bios_version'),
      build_date: await dmi('bios_date'),
    },
  };
  if (fromSysfs.product_name === undefined && (await findTool('dmidecode'))) {
    const s = async (key: string) => (await tryTool('dmidecode', ['-s', key]))?.trim();
    fromSysfs.product_name = await s('system-product-name');
    fromSysfs.serial_number = await s('system-serial-number');
    fromSysfs.manufacturer = await s('system-manufacturer');
    fromSysfs.firmware = {
      vendor: await s('bios-vendor'),
      version: await s('bios-version'),
      build_date: await s('bios-release-date'),
    };
  }
  if (fromSysfs.product_name === undefined) {
    warn('no DMI data (/sys/class/dmi/id, dmidecode): system vendor is unknown');
  }
  return {
    product_name: fromSysfs.product_name ?? vendor.product_name,
    serial_number: fromSysfs.serial_number ?? vendor.serial_number,
    manufacturer: fromSysfs.manufacturer ?? vendor.manufacturer,
    firmware: {
      vendor: fromSysfs.firmware.vendor ?? '',
      version: fromSysfs.firmware.version ?? '',
      build_date: fromSysfs.firmware.build_date ?? '',
    },
  };
}

export async function readBootMode(): Promise<BootMode> {
  return (await exists('/sys/firmware/efi')) ? 'uefi' : 'bios';
}

/** PXE firmware passes the boot NIC as BOOTIF=01-aa-bb-cc-dd-ee-ff on the kernel command line. */
export function bootifMac(cmdline: string): string | null {
  const match = /(?:^|\s)BOOTIF=(?:01-)?((?:[0-9a-f]{2}[-:]){5}[0-9a-f]{2})(?:\s|$)/i.exec(cmdline);
  return match?.[1] ? match[1].replace(/-/g, ':').toLowerCase() : null;
}

export async function readPxeMac(): Promise<string | null> {
  return bootifMac((await readText('/proc/cmdline')) ?? '');
}

export async function readBmcAddress(): Promise<string> {
  // ipmitool can hang for minutes without an IPMI device, so only ask when one exists.
  const devices = ['/dev/ipmi0', '/dev/ipmi/0', '/dev/ipmidev/0'];
  const hasIpmi = (await Promise.all(devices.map(exists))).some(Boolean);
  if (!hasIpmi || !(await findTool('ipmitool'))) return NO_BMC_V4;
  try {
    const { stdout } = await runTool('ipmitool', ['lan', 'print'], { timeoutMs: 15_000 });
    return /^IP Address\s+:\s+(\S+)/m.exec(stdout)?.[1] ?? NO_BMC_V4;
  } catch {
    return NO_BMC_V4;
  }
}
