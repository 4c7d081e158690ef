import {
  HARDWARE_TYPES,
  nodeInterfaces,
  type ChosenInterfaceColumns,
  type DriverInterface,
  type DriverName,
} from '@ingot/contracts';
import { StepError } from '../operations/fail.js';

/** What picks a node's implementations: its hardware type and the choices it made. */
export interface NodeComposition extends ChosenInterfaceColumns {
  uuid?: string;
  driver: string;
}

/**
 * The implementation of `iface` a node runs (its own choice where it may make one, else its
 * hardware type's default), looked up in `registered`. An implementation with no entry there (an
 * old row, a name the API no longer accepts) fails the step saying so.
 */
export function chosenImplementation<T>(
  node: NodeComposition,
  iface: DriverInterface,
  registered: Readonly<Record<string, T>>,
): T {
  // An unknown driver (an old row) takes the redfish path; its power worker reports the bad driver.
  const spec = HARDWARE_TYPES[node.driver as DriverName] ?? HARDWARE_TYPES.redfish;
  const name = nodeInterfaces(spec, node)[iface];
  const implementation = Object.hasOwn(registered, name) ? registered[name] : undefined;
  if (implementation === undefined) {
    throw new StepError(
      `Node ${node.uuid ?? ''} has ${iface}_interface '${name}', which this conductor does not implement (it has: ${Object.keys(registered).join(', ')})`,
    );
  }
  return implementation;
}
