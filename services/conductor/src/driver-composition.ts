import { HARDWARE_TYPES, nodeInterfaces, type DriverName } from '@ingot/contracts';

/**
 * The interfaces the conductor drives, per hardware type (Ironic's driver composition): the table
 * is HARDWARE_TYPES in @ingot/contracts, which the API also reports; a node may choose another boot
 * interface (boot_interface). redfish boots the agent from virtual media (or iPXE) and deploys and inspects with it; every interface of fake-hardware is fake, so its
 * deploy, clean and inspect finish at once without an agent, an image or a boot.
 */
export interface ConductorInterfaces {
  boot: string;
  deploy: string;
  inspect: string;
}

export function interfacesOf(node: {
  driver: string;
  bootInterface?: string | null;
  inspectInterface?: string | null;
}): ConductorInterfaces {
  // An unknown driver (an old row) takes the real path; its power worker reports the bad driver.
  const spec = HARDWARE_TYPES[node.driver as DriverName] ?? HARDWARE_TYPES.redfish;
  const { boot, deploy, inspect } = nodeInterfaces(spec, node);
  return { boot, deploy, inspect };
}

/** Deploy and clean run without an agent: no ramdisk, no image, no steps. */
export const deploysFake = (node: { driver: string }): boolean =>
  interfacesOf(node).deploy === 'fake';

export const inspectsFake = (node: { driver: string }): boolean =>
  interfacesOf(node).inspect === 'fake';

/** Nothing is inserted into a fake boot interface, so there is nothing to eject. */
export const bootsFake = (node: { driver: string }): boolean => interfacesOf(node).boot === 'fake';

/** The agent boots over the network (iPXE) instead of from a virtual media ISO. */
export const bootsOverNetwork = (node: {
  driver: string;
  bootInterface?: string | null;
}): boolean => interfacesOf(node).boot === 'ipxe';

/** The BMC describes the hardware (inspect_interface 'redfish'): no agent is booted to inspect. */
export const inspectsOutOfBand = (node: {
  driver: string;
  inspectInterface?: string | null;
}): boolean => interfacesOf(node).inspect === 'redfish';
