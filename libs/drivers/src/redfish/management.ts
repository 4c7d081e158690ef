import type { BootDevice, SecureBootState } from '@ingot/contracts';
import { BmcError } from '../errors.js';
import type {
  BootMode,
  ManagementInterface,
  VirtualMediaDevice,
  VirtualMediaState,
} from '../interfaces.js';
import { REDFISH_BOOT_MODES, type BootModeSetting } from './boot-mode.js';
import type { RedfishClient } from './client.js';
import { resetTargetOf } from './power.js';
import { asResource, stringsOf } from './resource.js';
import type { SecureBootSetting } from './secure-boot.js';
import type { SystemLocator } from './system.js';
import type { VirtualMediaSlots } from './virtual-media.js';

/** Ironic's BOOT_DEVICE_MAP for Redfish; 'safe' is an IPMI notion with no Redfish target. */
const TARGETS: Partial<Record<BootDevice, string>> = {
  pxe: 'Pxe',
  disk: 'Hdd',
  cdrom: 'Cd',
  bios: 'BiosSetup',
};
const DEVICES = new Map(
  Object.entries(TARGETS).map(([device, target]) => [target, device as BootDevice]),
);

export class RedfishManagement implements ManagementInterface {
  constructor(
    private readonly client: RedfishClient,
    private readonly system: SystemLocator,
    private readonly media: VirtualMediaSlots,
    private readonly secureBoot: SecureBootSetting,
    private readonly bootMode: BootModeSetting,
  ) {}

  async setBootDevice(
    device: BootDevice,
    opts: { persistent: boolean; bootMode?: BootMode },
  ): Promise<void> {
    const { bmc } = this.client.config;
    const target = TARGETS[device];
    if (!target) {
      throw new BmcError(
        'unsupported',
        `boot device ${device} does not exist in Redfish (BMC at ${bmc}); use one of ${Object.keys(TARGETS).join(', ')}`,
      );
    }
    const system = await this.system.read();
    const allowed = stringsOf(
      asResource(system.Boot)['BootSourceOverrideTarget@Redfish.AllowableValues'],
    );
    if (allowed && !allowed.includes(target)) {
      throw new BmcError(
        'unsupported',
        `BMC at ${bmc} cannot boot from ${target} (it allows ${allowed.join(', ')})`,
      );
    }
    await this.client.patch(await this.system.path(), {
      Boot: {
        BootSourceOverrideTarget: target,
        BootSourceOverrideEnabled: opts.persistent ? 'Continuous' : 'Once',
        ...(opts.bootMode ? { BootSourceOverrideMode: REDFISH_BOOT_MODES[opts.bootMode] } : {}),
      },
    });
  }

  async getBootDevice(): Promise<{ device: BootDevice | null; persistent: boolean }> {
    const boot = asResource((await this.system.read()).Boot);
    const enabled = boot.BootSourceOverrideEnabled;
    if (enabled !== 'Once' && enabled !== 'Continuous') return { device: null, persistent: false };
    const device = DEVICES.get(String(boot.BootSourceOverrideTarget)) ?? null;
    return { device, persistent: device !== null && enabled === 'Continuous' };
  }

  insertVirtualMedia(url: string, device: VirtualMediaDevice): Promise<void> {
    return this.media.insert(url, device);
  }

  ejectVirtualMedia(device: VirtualMediaDevice): Promise<void> {
    return this.media.eject(device);
  }

  listVirtualMedia(): Promise<VirtualMediaState[]> {
    return this.media.list();
  }

  getSecureBootState(): Promise<SecureBootState> {
    return this.secureBoot.read();
  }

  setSecureBootState(enabled: boolean): Promise<SecureBootState> {
    return this.secureBoot.set(enabled);
  }

  getBootMode(): Promise<BootMode | null> {
    return this.bootMode.read();
  }

  setBootMode(mode: BootMode): Promise<BootMode | null> {
    return this.bootMode.set(mode);
  }

  /** ComputerSystem.Reset with ResetType Nmi, as Ironic's (sushy's RESET_NMI). */
  async injectNmi(): Promise<void> {
    const system = await this.system.read();
    await this.client.post(resetTargetOf(system, 'Nmi', this.client.config.bmc), {
      ResetType: 'Nmi',
    });
  }
}
