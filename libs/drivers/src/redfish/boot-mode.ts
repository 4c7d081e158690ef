import { BmcError, isBmcError } from '../errors.js';
import type { BootMode } from '../interfaces.js';
import type { RedfishClient } from './client.js';
import { asResource, stringsOf } from './resource.js';
import type { SystemLocator } from './system.js';

/** Ironic's BOOT_MODE_MAP for Redfish: the ComputerSystem's Boot.BootSourceOverrideMode. */
export const REDFISH_BOOT_MODES: Record<BootMode, string> = { uefi: 'UEFI', bios: 'Legacy' };

const MODE_OF = new Map(
  Object.entries(REDFISH_BOOT_MODES).map(([mode, redfish]) => [redfish, mode as BootMode]),
);

/**
 * The boot mode of a ComputerSystem, as Ironic's redfish management interface reads and sets it
 * (get_boot_mode, set_boot_mode): Boot.BootSourceOverrideMode, patched on its own.
 */
export class BootModeSetting {
  constructor(
    private readonly client: RedfishClient,
    private readonly system: SystemLocator,
  ) {}

  /** UEFI or Legacy as uefi or bios; null when the BMC shows no (known) mode. */
  async read(): Promise<BootMode | null> {
    return (
      MODE_OF.get(String(asResource((await this.system.read()).Boot).BootSourceOverrideMode)) ??
      null
    );
  }

  async set(mode: BootMode): Promise<BootMode | null> {
    const { bmc } = this.client.config;
    const wanted = REDFISH_BOOT_MODES[mode];
    const path = await this.system.path();
    const boot = asResource((await this.system.read()).Boot);
    if (boot.BootSourceOverrideMode === wanted) return mode;
    // Ironic checks whether the mode is readable before changing it: a BMC that shows none may
    // not support it at all.
    const shown = typeof boot.BootSourceOverrideMode === 'string';
    const allowed = stringsOf(boot['BootSourceOverrideMode@Redfish.AllowableValues']);
    if (allowed && !allowed.includes(wanted)) {
      throw new BmcError(
        'unsupported',
        `BMC at ${bmc} cannot boot ${path} in ${wanted} mode (it allows ${allowed.join(', ') || 'none'})`,
      );
    }
    try {
      await this.client.patch(path, { Boot: { BootSourceOverrideMode: wanted } });
    } catch (error) {
      if (!shown && isBmcError(error) && error.status !== undefined && error.status < 500) {
        throw new BmcError(
          'unsupported',
          `BMC at ${bmc} shows no Boot.BootSourceOverrideMode on ${path} and refused to set it: it does not appear to support changing the boot mode (${error.message})`,
          { status: error.status, cause: error },
        );
      }
      throw error;
    }
    const now = asResource((await this.system.read()).Boot).BootSourceOverrideMode;
    // As Ironic: a BMC that never shows the mode is taken at its word.
    if (!shown && typeof now !== 'string') return mode;
    if (now !== wanted) {
      throw new BmcError(
        'protocol',
        `BMC at ${bmc} accepted BootSourceOverrideMode ${wanted} on ${path} but still reports ${String(now)}: ` +
          'a BMC that applies it only at the next boot needs the server rebooted (Ingot does not reboot for it)',
      );
    }
    return mode;
  }
}
