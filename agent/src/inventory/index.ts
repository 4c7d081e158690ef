// Collects the inventory from the source the platform calls for.
import type { AgentConfig } from '../config.js';
import { assembleArrays } from '../disks/software-raid.js';
import type { AgentLogger } from '../log.js';
import { collectHostInventory } from './host/index.js';
import type { LabHardwareProfile } from './lab.js';
import { labInventory, loadLabProfile } from './lab.js';
import type { Inventory } from './types.js';

export type * from './types.js';
export type { LabDiskProfile, LabHardwareProfile, LabInterfaceProfile } from './lab.js';
export { LabProfileError, checkLabProfile, labInventory, loadLabProfile } from './lab.js';
export { collectHostInventory } from './host/index.js';

export async function collectInventory(config: AgentConfig, log: AgentLogger): Promise<Inventory> {
  const inventory = await collectFrom(config, log);
  // BOOTIF of the command line the agent was given (--cmdline) names the NIC it booted from.
  if (config.boot_mac) inventory.boot = { ...inventory.boot, pxe_interface: config.boot_mac };
  return inventory;
}

async function collectFrom(config: AgentConfig, log: AgentLogger): Promise<Inventory> {
  if (config.platform === 'lab') {
    const profile: LabHardwareProfile = await loadLabProfile(config.hardware_profile ?? '');
    return labInventory(profile);
  }
  // Arrays a cleaning built are assembled first, so that their md devices are among the disks.
  await assembleArrays().then(
    (said) => said && log.info('mdadm --assemble --scan', { output: said }),
    (err: Error) =>
      log.warn(`software RAID arrays not assembled: ${err.message}`, { source: 'inventory' }),
  );
  return collectHostInventory((message) => log.warn(message, { source: 'inventory' }));
}

/** The MAC addresses Ironic's lookup matches ports against. */
export function lookupAddresses(inventory: Inventory): string[] {
  return [...new Set(inventory.interfaces.map((nic) => nic.mac_address.toLowerCase()))];
}
