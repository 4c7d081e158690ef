import { HARDWARE_TYPES, type DriverName } from '@ingot/contracts';

/**
 * The interfaces the conductor drives, per hardware type (Ironic's driver composition): the table
 * is HARDWARE_TYPES in @ingot/contracts, which the API also reports. redfish boots the agent from
 * virtual media and deploys and inspects with it; every interface of fake-hardware is fake, so its
 * deploy, clean and inspect finish at once without an agent, an image or a boot.
 */
export interface ConductorInterfaces {
  boot: string;
  deploy: string;
  inspect: string;
}

export function interfacesOf(node: { driver: string }): ConductorInterfaces {
  // An unknown driver (an old row) takes the real path; its power worker reports the bad driver.
  const spec = HARDWARE_TYPES[node.driver as DriverName] ?? HARDWARE_TYPES.redfish;
  const { boot, deploy, inspect } = spec.interfaces;
  return { boot, deploy, inspect };
}

/** Deploy and clean run without an agent: no ramdisk, no image, no steps. */
export const deploysFake = (node: { driver: string }): boolean =>
  interfacesOf(node).deploy === 'fake';

export const inspectsFake = (node: { driver: string }): boolean =>
  interfacesOf(node).inspect === 'fake';

/** Nothing is inserted into a fake boot interface, so there is nothing to eject. */
export const bootsFake = (node: { driver: string }): boolean => interfacesOf(node).boot === 'fake';
