import type { InventoryDisk } from '@ingot/contracts';
import { quote } from './quote.js';
import { matchRootDevice } from './match-root-device.js';
import { parseRootDeviceHints } from './root-device-hints.js';
import { GiB, wholeGiB } from './units.js';

/** Without hints IPA and Ironic skip anything smaller (floppies, virtual media, SD cards). */
export const MIN_ROOT_DEVICE_BYTES = 4 * GiB;

export type RootDeviceChoice<D> = { ok: true; disk: D | null } | { ok: false; message: string };

/**
 * The root disk. With hints (node.properties.root_device): the first disk matching all of
 * them, else an error listing the hints and the disks seen. Without hints: the smallest disk
 * of at least 4 GiB, the first of equals; null when there is none (a diskless node).
 */
export function chooseRootDevice<D extends InventoryDisk>(
  disks: readonly D[],
  hints?: Record<string, unknown> | null,
): RootDeviceChoice<D> {
  if (!hints || Object.keys(hints).length === 0) return { ok: true, disk: smallestUsable(disks) };
  const parsed = parseRootDeviceHints(hints);
  if (!parsed.ok) return parsed;
  const disk = matchRootDevice(disks, parsed.hints);
  if (disk) return { ok: true, disk };
  return {
    ok: false,
    message:
      `No disk satisfies the root device hints ${JSON.stringify(hints)}; ` +
      `disks seen: ${disks.length ? disks.map((d) => describeDisk(d, Object.keys(hints))).join(', ') : 'none'}`,
  };
}

function smallestUsable<D extends InventoryDisk>(disks: readonly D[]): D | null {
  let best: D | null = null;
  for (const disk of disks) {
    if (disk.size < MIN_ROOT_DEVICE_BYTES) continue;
    if (!best || disk.size < best.size) best = disk;
  }
  return best;
}

/** "/dev/sda (447 GiB, model 'X')": the size and whatever the hints looked at. */
function describeDisk(disk: InventoryDisk, hintNames: string[]): string {
  const facts = [`${wholeGiB(disk.size)} GiB`];
  for (const name of hintNames) {
    if (name === 'size' || name === 'name') continue;
    const value = (disk as Record<string, unknown>)[name];
    facts.push(`${name} ${value === undefined || value === null ? 'unknown' : quote(value)}`);
  }
  return `${disk.name} (${facts.join(', ')})`;
}
