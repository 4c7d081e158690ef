// Choosing the disk an image goes to: explicit name, else the node's root device hints, else
// the smallest disk of at least 4 GiB (IPA's rule).
import { AgentError } from '../errors.js';
import type { TargetDisk } from '../disks/devices.js';
import type { NodeInfo } from '../node-info.js';

const GiB = 1024 ** 3;
export const MIN_ROOT_DISK_BYTES = 4 * GiB;

export type RootDeviceHints = Record<string, unknown>;

export function chooseRootDisk(
  disks: readonly TargetDisk[],
  explicitName: string | undefined,
  node: NodeInfo | undefined,
): TargetDisk {
  const hints = explicitName ? { name: explicitName } : hintsOf(node);
  if (hints) {
    const match = disks.find((disk) => matchesHints(disk, hints));
    if (!match) {
      throw AgentError.deviceNotFound(
        `No disk matches the root device hints ${JSON.stringify(hints)} (disks: ${disks.map((d) => d.name).join(', ') || 'none'})`,
      );
    }
    return match;
  }
  const candidates = disks
    .filter((disk) => disk.info.size >= MIN_ROOT_DISK_BYTES)
    .sort((a, b) => a.info.size - b.info.size);
  const smallest = candidates[0];
  if (!smallest) {
    throw AgentError.deviceNotFound(
      `No disk of at least 4 GiB to deploy on (disks: ${disks.map((d) => `${d.name} ${d.info.size} bytes`).join(', ') || 'none'})`,
    );
  }
  return smallest;
}

/** instance_info wins over properties, as in Ironic. */
function hintsOf(node: NodeInfo | undefined): RootDeviceHints | undefined {
  for (const source of [node?.instance_info, node?.properties]) {
    const hints = source?.root_device;
    if (typeof hints === 'object' && hints !== null && Object.keys(hints).length > 0) {
      return hints as RootDeviceHints;
    }
  }
  return undefined;
}

const STRING_HINTS = [
  'serial',
  'wwn',
  'model',
  'vendor',
  'hctl',
  'by_path',
  'wwn_with_extension',
  'wwn_vendor_extension',
] as const;

export function matchesHints(disk: TargetDisk, hints: RootDeviceHints): boolean {
  return Object.entries(hints).every(([key, expected]) => {
    if (key === 'name') return deviceName(String(expected)) === disk.name;
    if (key === 'size') return sizeMatches(Math.floor(disk.info.size / GiB), expected);
    if (key === 'rotational')
      return String(expected).toLowerCase() === String(disk.info.rotational);
    if ((STRING_HINTS as readonly string[]).includes(key)) {
      const actual = disk.info[key as (typeof STRING_HINTS)[number]];
      return (
        actual !== null && stripOperator(String(expected)).toLowerCase() === actual.toLowerCase()
      );
    }
    return true; // hints this agent does not know do not exclude a disk
  });
}

function deviceName(name: string): string {
  return name.startsWith('/dev/') ? name : `/dev/${name}`;
}

function stripOperator(value: string): string {
  return value.replace(/^\s*s?==\s*/, '').trim();
}

/** Sizes are whole GiB; "<op> N" with op in ==, !=, >=, <=, >, < is accepted. */
function sizeMatches(actualGiB: number, expected: unknown): boolean {
  const match = /^\s*(==|!=|>=|<=|>|<)?\s*(\d+)\s*$/.exec(String(expected));
  if (!match) return false;
  const n = Number(match[2]);
  switch (match[1]) {
    case '!=':
      return actualGiB !== n;
    case '>=':
      return actualGiB >= n;
    case '<=':
      return actualGiB <= n;
    case '>':
      return actualGiB > n;
    case '<':
      return actualGiB < n;
    default:
      return actualGiB === n;
  }
}
