import type { Inventory, InventoryDisk } from '@ingot/contracts';
import { MiB, wholeGiB } from '@ingot/inventory';

export interface InspectedProperties {
  cpus: number;
  cpu_arch: string;
  memory_mb: number;
  local_gb: number;
}

/**
 * The node properties inspection sets, by Ironic's hooks: cpus and cpu_arch from the CPU,
 * memory_mb from the installed memory (DMI) or else what the kernel sees, and local_gb as the
 * root disk's whole GiB minus one, the GiB Ironic keeps for partitioning (0 when diskless).
 */
export function propertiesFromInventory(
  inventory: Inventory,
  rootDisk: Pick<InventoryDisk, 'size'> | null,
): InspectedProperties {
  return {
    cpus: inventory.cpu.count,
    cpu_arch: inventory.cpu.architecture,
    memory_mb: memoryMb(inventory.memory),
    local_gb: rootDisk ? Math.max(0, wholeGiB(rootDisk.size) - 1) : 0,
  };
}

function memoryMb(memory: Inventory['memory']): number {
  if (typeof memory.physical_mb === 'number' && memory.physical_mb > 0) return memory.physical_mb;
  return Math.floor((memory.total ?? 0) / MiB);
}
