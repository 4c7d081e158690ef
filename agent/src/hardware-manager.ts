// The steps this agent offers, under the name and version of IPA's generic hardware manager so
// that a conductor caching IPA's step lists sees the same thing.
import { AgentError } from './errors.js';
import type { TargetDisk } from './disks/devices.js';
import { describe } from './disks/devices.js';
import { eraseAll, eraseMetadata } from './disks/erase.js';

export const HARDWARE_MANAGER_CLASS = 'GenericHardwareManager';
export const HARDWARE_MANAGER_NAME = 'generic_hardware_manager';
export const HARDWARE_MANAGER_VERSION = '1.2';

/** What get_*_steps report, and what execute_*_step compares clean_version/deploy_version to. */
export function hardwareManagerVersions(): Record<string, string> {
  return { [HARDWARE_MANAGER_NAME]: HARDWARE_MANAGER_VERSION };
}

export interface StepDescription {
  step: string;
  priority: number;
  interface: string;
  reboot_requested: boolean;
  abortable?: boolean;
  argsinfo?: Record<string, { description: string; required: boolean }>;
}

export const CLEAN_STEPS: readonly StepDescription[] = [
  {
    step: 'erase_devices_metadata',
    priority: 99,
    interface: 'deploy',
    reboot_requested: false,
    abortable: true,
  },
  {
    step: 'erase_devices',
    priority: 10,
    interface: 'deploy',
    reboot_requested: false,
    abortable: true,
  },
  // IPA's software RAID steps: run only when asked for (manual cleaning), with the node's
  // target_raid_config the conductor sends along.
  {
    step: 'delete_configuration',
    priority: 0,
    interface: 'raid',
    reboot_requested: false,
    abortable: true,
  },
  {
    step: 'create_configuration',
    priority: 0,
    interface: 'raid',
    reboot_requested: false,
    abortable: true,
  },
];

/**
 * The service steps of an active node's servicing (IPA's get_service_steps): the software RAID
 * ones. IPA's burn-in steps need stress-ng and fio, which this ramdisk does not carry.
 */
export const SERVICE_STEPS: readonly StepDescription[] = CLEAN_STEPS.filter(
  (step) => step.interface === 'raid',
);

export const DEPLOY_STEPS: readonly StepDescription[] = [
  {
    step: 'write_image',
    priority: 80,
    interface: 'deploy',
    reboot_requested: false,
    argsinfo: {
      image_info: {
        description: 'The image to write (id, urls, disk_format, checksum).',
        required: true,
      },
      configdrive: {
        description: 'Config drive: base64 of a gzipped ISO, or a URL to one.',
        required: false,
      },
    },
  },
  // Offered as in IPA, at priority 0: runs only when a deploy template asks for it.
  { step: 'erase_devices_metadata', priority: 0, interface: 'deploy', reboot_requested: false },
];

/**
 * A conductor that computed its step list against another agent version must start over
 * (Ironic restarts cleaning on VersionMismatch). No version given means a first run.
 */
export function checkVersions(requested: unknown): void {
  if (requested === undefined || requested === null) return;
  const current = hardwareManagerVersions();
  const same =
    typeof requested === 'object' &&
    JSON.stringify(sortedEntries(requested as Record<string, unknown>)) ===
      JSON.stringify(sortedEntries(current));
  if (!same) throw AgentError.versionMismatch(current, requested);
}

function sortedEntries(versions: Record<string, unknown>): [string, unknown][] {
  return Object.entries(versions).sort(([a], [b]) => a.localeCompare(b));
}

/**
 * Runs an erase over every disk, reporting each; fails naming every disk that failed. The disks
 * under a software RAID device are left to delete_configuration: the md device itself is erased.
 */
export async function eraseEachDisk(
  disks: readonly TargetDisk[],
  how: 'metadata' | 'all',
): Promise<Record<string, string>> {
  const results: Record<string, string> = {};
  const failures: string[] = [];
  const held = new Set(disks.flatMap((d) => d.info.holder_disks ?? []));
  for (const disk of disks.filter((d) => !held.has(d.name))) {
    try {
      results[disk.name] = how === 'metadata' ? await eraseMetadata(disk) : await eraseAll(disk);
    } catch (err) {
      failures.push(`${describe(disk)}: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) {
    const what = how === 'metadata' ? 'erase the metadata of' : 'erase';
    throw AgentError.blockDeviceErase(`Failed to ${what} ${failures.join('; ')}`);
  }
  return results;
}
