import type {
  BootDevice,
  OobInventory,
  PowerState,
  PowerTarget,
  SecureBootState,
} from '@ingot/contracts';

/**
 * Ironic's driver model (ironic/drivers/base.py): each interface is small and does one kind of
 * work; a hardware type is only a composition of them. The conductor and the power workers call
 * these and never speak a BMC protocol themselves.
 */

export interface PowerInterface {
  /** Checks that the BMC answers and the system exists; returns the system's identifier. */
  validate(): Promise<{ systemId: string }>;
  getPowerState(): Promise<PowerState>;
  /** Asks for `target` and waits until the BMC reports the state it leads to. */
  setPowerState(target: PowerTarget, opts?: { timeoutMs?: number }): Promise<PowerState>;
}

export type VirtualMediaDevice = 'cd' | 'usb';
export type BootMode = 'uefi' | 'bios';

export interface ManagementInterface {
  setBootDevice(
    device: BootDevice,
    opts: { persistent: boolean; bootMode?: BootMode },
  ): Promise<void>;
  /** `device` is null when no override is set (the server boots by its own order). */
  getBootDevice(): Promise<{ device: BootDevice | null; persistent: boolean }>;
  insertVirtualMedia(url: string, device: VirtualMediaDevice): Promise<void>;
  ejectVirtualMedia(device: VirtualMediaDevice): Promise<void>;
  /**
   * UEFI secure boot (Ironic's get/set_secure_boot_state). A hardware type that cannot manage it
   * rejects with a BmcError of kind 'unsupported' saying so.
   */
  getSecureBootState(): Promise<SecureBootState>;
  /** Sets it, reads it back and answers what the BMC reports; refused when it did not take. */
  setSecureBootState(enabled: boolean): Promise<SecureBootState>;
}

/** Out-of-band inspection: what the BMC knows of the server, read without booting it. */
export interface InspectInterface {
  inventory(): Promise<OobInventory>;
}

export interface HardwareType {
  name: string;
  power: PowerInterface;
  management: ManagementInterface;
  /** Present when the BMC can describe the hardware (redfish). */
  inspect?: InspectInterface;
  /** Releases what the hardware type holds on the BMC (e.g. a Redfish session). */
  close(): Promise<void>;
}
