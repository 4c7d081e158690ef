// The 'host' inventory source: reads the machine the agent runs on. Every probe tolerates a
// missing tool or file, falling back to a sensible default and a warning.
import { hostname } from 'node:os';
import type { Inventory } from '../types.js';
import { NO_BMC_V6 } from '../types.js';
import { readCpu } from './cpu.js';
import { listDisks } from './disks.js';
import { readBmcAddress, readBootMode, readPxeMac, readSystemVendor } from './firmware.js';
import { listInterfaces } from './interfaces.js';
import { readMemory } from './memory.js';
import type { Warn } from './probe.js';

export type { Warn } from './probe.js';
export { bootifMac } from './firmware.js';

export async function collectHostInventory(warn: Warn): Promise<Inventory> {
  const [interfaces, cpu, disks, memory, systemVendor, bootMode, pxeMac, bmcAddress] =
    await Promise.all([
      listInterfaces(warn),
      readCpu(warn),
      listDisks(warn),
      readMemory(warn),
      readSystemVendor(warn),
      readBootMode(),
      readPxeMac(),
      readBmcAddress(),
    ]);
  return {
    interfaces,
    cpu,
    disks,
    memory,
    bmc_address: bmcAddress,
    bmc_v6address: NO_BMC_V6,
    bmc_mac: null,
    system_vendor: systemVendor,
    boot: { current_boot_mode: bootMode, pxe_interface: pxeMac },
    hostname: hostname(),
  };
}
