import { chosenImplementation, type NodeComposition } from './chosen.js';
import { agentRescue } from './rescue-agent.js';
import { fakeRescue } from './rescue-fake.js';
import type { RescueInterface } from './types.js';

/** Every rescue interface the conductor runs, by the name of a hardware type's rescue_interface. */
export const RESCUE_INTERFACES: Readonly<Record<string, RescueInterface>> = Object.fromEntries(
  [agentRescue, fakeRescue].map((rescue) => [rescue.name, rescue]),
);

export const rescueInterfaceOf = (node: NodeComposition): RescueInterface =>
  chosenImplementation(node, 'rescue', RESCUE_INTERFACES);
