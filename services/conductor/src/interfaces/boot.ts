import { fakeBoot } from './boot-fake.js';
import { ipxeBoot } from './boot-ipxe.js';
import { virtualMediaBoot } from './boot-virtual-media.js';
import { chosenImplementation, type NodeComposition } from './chosen.js';
import type { BootInterface } from './types.js';

/** Every boot interface the conductor runs, by the name a node's boot_interface gives. */
export const BOOT_INTERFACES: Readonly<Record<string, BootInterface>> = Object.fromEntries(
  [virtualMediaBoot, ipxeBoot, fakeBoot].map((boot) => [boot.name, boot]),
);

export const bootInterfaceOf = (node: NodeComposition): BootInterface =>
  chosenImplementation(node, 'boot', BOOT_INTERFACES);
