// Choosing the disk an image goes to: explicit name, else the node's root device hints, else
// the smallest disk of at least 4 GiB (IPA's rule). The hint semantics are Ironic's, shared
// with the inspector and the conductor through @ingot/inventory (its root-device part only: the
// package's index loads TypeBox and every schema, a third of the agent's start-up time).
import { chooseRootDevice, MIN_ROOT_DEVICE_BYTES } from '@ingot/inventory/root-device';
import { AgentError } from '../errors.js';
import type { TargetDisk } from '../disks/devices.js';
import type { NodeInfo } from '../node-info.js';

export type RootDeviceHints = Record<string, unknown>;

export function chooseRootDisk(
  disks: readonly TargetDisk[],
  explicitName: string | undefined,
  node: NodeInfo | undefined,
): TargetDisk {
  const hints = explicitName ? { name: explicitName } : hintsOf(node);
  // The disks under a software RAID device are no target of their own (writing one would break
  // the array); without hints the RAID device is preferred, as IPA takes the RAID root volume.
  const held = new Set(disks.flatMap((disk) => disk.info.holder_disks ?? []));
  const candidates = disks.filter((disk) => !held.has(disk.name));
  const raid = candidates.filter((disk) => disk.info.holder_disks !== undefined);
  const preferred =
    !hints && raid.some((d) => d.info.size >= MIN_ROOT_DEVICE_BYTES) ? raid : candidates;
  const choice = chooseRootDevice(
    preferred.map((disk) => disk.info),
    hints,
  );
  if (!choice.ok) throw AgentError.deviceNotFound(choice.message);
  const chosen = disks.find((disk) => disk.info === choice.disk);
  if (!chosen) {
    throw AgentError.deviceNotFound(
      `No disk of at least ${MIN_ROOT_DEVICE_BYTES / 1024 ** 3} GiB to deploy on (disks: ${disks.map((d) => `${d.name} ${d.info.size} bytes`).join(', ') || 'none'})`,
    );
  }
  return chosen;
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
