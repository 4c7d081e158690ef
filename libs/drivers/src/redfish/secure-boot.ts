import type { SecureBootState } from '@ingot/contracts';
import { BmcError } from '../errors.js';
import type { RedfishClient } from './client.js';
import { asResource, linkOf, type Resource } from './resource.js';
import type { SystemLocator } from './system.js';

/**
 * UEFI secure boot through the ComputerSystem's SecureBoot resource, as Ironic's redfish
 * management interface drives it (sushy's system.secure_boot): SecureBootEnable is the setting,
 * SecureBootCurrentBoot says whether the current boot used it.
 */
export class SecureBootSetting {
  constructor(
    private readonly client: RedfishClient,
    private readonly system: SystemLocator,
  ) {}

  async read(): Promise<SecureBootState> {
    const path = await this.path(await this.system.read());
    return this.stateOf(path, await this.client.get(path));
  }

  async set(enabled: boolean): Promise<SecureBootState> {
    const { bmc } = this.client.config;
    const system = await this.system.read();
    const path = await this.path(system);
    const before = this.stateOf(path, await this.client.get(path));
    if (before.enabled === enabled) return before;
    if (enabled && asResource(system.Boot).BootSourceOverrideMode === 'Legacy') {
      // Ironic's set_secure_boot_state refuses the same: secure boot is a UEFI feature.
      throw new BmcError(
        'unsupported',
        `BMC at ${bmc} boots ${await this.system.path()} in Legacy (BIOS) mode: secure boot requires UEFI; set the node's boot_mode to uefi`,
      );
    }
    await this.client.patch(path, { SecureBootEnable: enabled });
    const after = this.stateOf(path, await this.client.get(path));
    if (after.enabled !== enabled) {
      throw new BmcError(
        'protocol',
        `BMC at ${bmc} accepted SecureBootEnable=${enabled} at ${path} but reads back ${after.enabled}: it did not take the change`,
      );
    }
    return after;
  }

  private async path(system: Resource): Promise<string> {
    const path = linkOf(system.SecureBoot);
    if (path) return path;
    throw new BmcError(
      'unsupported',
      `BMC at ${this.client.config.bmc} has no SecureBoot resource on ${await this.system.path()}: it cannot turn UEFI secure boot on or off`,
    );
  }

  private stateOf(path: string, resource: Resource): SecureBootState {
    if (typeof resource.SecureBootEnable !== 'boolean') {
      throw new BmcError(
        'protocol',
        `BMC at ${this.client.config.bmc} answered GET ${path} without a SecureBootEnable boolean`,
      );
    }
    const current = resource.SecureBootCurrentBoot;
    return {
      enabled: resource.SecureBootEnable,
      current_boot: current === 'Enabled' ? true : current === 'Disabled' ? false : null,
    };
  }
}
