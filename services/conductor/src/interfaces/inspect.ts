import { chosenImplementation, type NodeComposition } from './chosen.js';
import { agentInspect } from './inspect-agent.js';
import { fakeInspect } from './inspect-fake.js';
import { redfishInspect } from './inspect-redfish.js';
import type { InspectInterface } from './types.js';

/** Every inspect interface the conductor runs, by the name a node's inspect_interface gives. */
export const INSPECT_INTERFACES: Readonly<Record<string, InspectInterface>> = Object.fromEntries(
  [agentInspect, redfishInspect, fakeInspect].map((inspect) => [inspect.name, inspect]),
);

export const inspectInterfaceOf = (node: NodeComposition): InspectInterface =>
  chosenImplementation(node, 'inspect', INSPECT_INTERFACES);
