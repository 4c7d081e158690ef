import {
  DRIVER_INTERFACES,
  HARDWARE_TYPES,
  implementationsOf,
  CHOOSABLE_INTERFACES,
  type ChosenInterfaceColumns,
  type DriverName,
  type HardwareTypeSpec,
} from '@ingot/contracts';
import { invalid } from './errors.js';

/** The hardware type of a node; an unknown driver (an old row) reads as fake-hardware. */
export const hardwareOf = (driver: string): HardwareTypeSpec =>
  HARDWARE_TYPES[driver as DriverName] ?? HARDWARE_TYPES['fake-hardware'];

/**
 * `<interface>_interface` values sent by a client (Metal3 sends them all): each must name an
 * implementation the hardware type has (its default, or an alternative such as boot 'ipxe').
 */
export function checkInterfaces(driver: string, values: Record<string, unknown>): void {
  const hardware = hardwareOf(driver);
  for (const iface of DRIVER_INTERFACES) {
    const value = values[`${iface}_interface`];
    if (value === undefined || value === null) continue;
    const implemented = implementationsOf(hardware, iface);
    if (!implemented.includes(value as string)) {
      throw invalid(
        `Invalid ${iface}_interface '${String(value)}' for hardware type ${hardware.name}: Ingot implements ${implemented.map((i) => `'${i}'`).join(', ')} only.`,
      );
    }
  }
}

/**
 * The node columns of the interfaces a node chose (boot_interface, raid_interface, ...); a value
 * equal to the hardware type's default is stored as null, so the default can change with Ingot.
 */
export function chosenInterfaces(
  driver: string,
  values: Record<string, unknown>,
): Required<ChosenInterfaceColumns> {
  const defaults = hardwareOf(driver).interfaces;
  const choice = (iface: keyof typeof CHOOSABLE_INTERFACES) => {
    const value = values[`${iface}_interface`];
    return typeof value === 'string' && value !== defaults[iface] ? value : null;
  };
  return Object.fromEntries(
    Object.entries(CHOOSABLE_INTERFACES).map(([iface, column]) => [
      column,
      choice(iface as keyof typeof CHOOSABLE_INTERFACES),
    ]),
  ) as Required<ChosenInterfaceColumns>;
}
