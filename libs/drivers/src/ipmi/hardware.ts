import type { BootDevice, PowerState, PowerTarget } from '@ingot/contracts';
import { BmcError } from '../errors.js';
import type { BootMode, HardwareType, ManagementInterface, PowerInterface } from '../interfaces.js';
import { DEFAULT_POWER_TIMEOUT_MS } from '../redfish/power.js';
import type { IpmiConfig } from './driver-config.js';
import { ipmitool } from './ipmitool.js';

type Settled = 'power on' | 'power off';

/** What each target asks of a server that is on or off, and where it ends (Ironic's ipmitool). */
const PLAN: Record<PowerTarget, { whenOn: string[]; whenOff: string[]; ends: Settled }> = {
  'power on': { whenOn: [], whenOff: ['on'], ends: 'power on' },
  'power off': { whenOn: ['off'], whenOff: [], ends: 'power off' },
  'soft power off': { whenOn: ['soft'], whenOff: [], ends: 'power off' },
  // A hard reboot is off then on, as Ironic's ipmitool driver does it: `power reset` is not
  // honoured the same way by every BMC.
  rebooting: { whenOn: ['off', 'on'], whenOff: ['on'], ends: 'power on' },
  'soft rebooting': { whenOn: ['soft', 'on'], whenOff: ['on'], ends: 'power on' },
};

/** `chassis bootparam get 5` selector texts (ipmitool's wording), back to Ironic's devices. */
const SELECTOR: [RegExp, BootDevice | null][] = [
  [/No override/i, null],
  [/Force PXE/i, 'pxe'],
  [/Safe.?Mode/i, 'safe'],
  [/Hard.?Drive/i, 'disk'],
  [/CD\/DVD/i, 'cdrom'],
  [/BIOS Setup/i, 'bios'],
];

class IpmiPower implements PowerInterface {
  constructor(private readonly config: IpmiConfig) {}

  async validate(): Promise<{ systemId: string }> {
    await this.getPowerState();
    return { systemId: `ipmi://${this.config.host}:${this.config.port}` };
  }

  async getPowerState(): Promise<PowerState> {
    const out = await ipmitool(this.config, ['power', 'status']);
    const state = /Chassis Power is (on|off)/i.exec(out)?.[1]?.toLowerCase();
    if (!state) {
      throw new BmcError(
        'protocol',
        `BMC at ${this.config.host}:${this.config.port} answered 'power status' with '${out.trim().slice(0, 200)}'`,
      );
    }
    return state === 'on' ? 'power on' : 'power off';
  }

  async setPowerState(target: PowerTarget, opts: { timeoutMs?: number } = {}): Promise<PowerState> {
    const plan = PLAN[target];
    const steps = (await this.getPowerState()) === 'power on' ? plan.whenOn : plan.whenOff;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_POWER_TIMEOUT_MS;
    for (const step of steps) {
      await ipmitool(this.config, ['power', step]);
      await this.waitFor(step === 'on' ? 'power on' : 'power off', step, timeoutMs);
    }
    return plan.ends;
  }

  /** Polls until the BMC reports the settled state: IPMI answers a chassis control at once. */
  private async waitFor(ends: Settled, step: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: PowerState = 'error';
    for (let interval = 100; ; interval = Math.min(interval * 2, 1_000)) {
      last = await this.getPowerState();
      if (last === ends) return;
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(interval, left)));
    }
    throw new BmcError(
      'timeout',
      `BMC at ${this.config.host}:${this.config.port} accepted 'power ${step}' but the server was still '${last}' after ${timeoutMs} ms`,
    );
  }
}

class IpmiManagement implements ManagementInterface {
  constructor(private readonly config: IpmiConfig) {}

  async setBootDevice(
    device: BootDevice,
    opts: { persistent: boolean; bootMode?: BootMode },
  ): Promise<void> {
    const options = [
      ...(opts.persistent ? ['persistent'] : []),
      ...(opts.bootMode === 'uefi' ? ['efiboot'] : []),
    ];
    await ipmitool(
      this.config,
      [
        'chassis',
        'bootdev',
        // Ironic's boot device names are ipmitool's bootdev names.
        device,
        ...(options.length > 0 ? [`options=${options.join(',')}`] : []),
      ],
      { expect: /Set Boot Device to/i },
    );
  }

  async getBootDevice(): Promise<{ device: BootDevice | null; persistent: boolean }> {
    const out = await ipmitool(this.config, ['chassis', 'bootparam', 'get', '5']);
    const selector = /Boot Device Selector\s*:\s*(.+)/i.exec(out)?.[1] ?? '';
    const found = SELECTOR.find(([pattern]) => pattern.test(selector));
    if (!found) {
      throw new BmcError(
        'protocol',
        `BMC at ${this.config.host}:${this.config.port} reported boot device '${selector.trim()}', which Ingot does not know`,
      );
    }
    return { device: found[1], persistent: /all future boots/i.test(out) };
  }

  insertVirtualMedia(): Promise<void> {
    return Promise.reject(this.noVirtualMedia());
  }

  ejectVirtualMedia(): Promise<void> {
    return Promise.reject(this.noVirtualMedia());
  }

  listVirtualMedia(): Promise<never> {
    return Promise.reject(this.noVirtualMedia());
  }

  getSecureBootState(): Promise<never> {
    return Promise.reject(this.noSecureBoot());
  }

  setSecureBootState(): Promise<never> {
    return Promise.reject(this.noSecureBoot());
  }

  getBootMode(): Promise<never> {
    return Promise.reject(this.unsupported('get_boot_mode'));
  }

  setBootMode(): Promise<never> {
    return Promise.reject(this.unsupported('set_boot_mode'));
  }

  /** `chassis power diag`: a pulse of the diagnostic interrupt, as Ironic's ipmitool driver. */
  async injectNmi(): Promise<void> {
    await ipmitool(this.config, ['chassis', 'power', 'diag'], {
      expect: /Chassis Power Control: Diag/i,
    });
  }

  /**
   * What Ironic's ipmitool management interface does not implement, in Ironic's words (its
   * UnsupportedDriverExtension): IPMI boots in whatever mode the firmware is set to.
   */
  private unsupported(extension: string): BmcError {
    return new BmcError(
      'unsupported',
      `Driver ipmi does not support ${extension} (disabled or not implemented): IPMI cannot change the boot mode of the server behind ${this.config.host}:${this.config.port}; use the redfish hardware type`,
    );
  }

  /** IPMI has no secure boot command; Metal3 refuses UEFISecureBoot for ipmi:// hosts too. */
  private noSecureBoot(): BmcError {
    return new BmcError(
      'unsupported',
      `secure boot is not supported by the ipmi hardware type (BMC at ${this.config.host}:${this.config.port}): use the redfish hardware type, or deploy without instance_info.capabilities.secure_boot`,
    );
  }

  private noVirtualMedia(): BmcError {
    return new BmcError(
      'unsupported',
      `IPMI has no virtual media (BMC at ${this.config.host}:${this.config.port}): nodes of the ipmi hardware type boot the agent over iPXE`,
    );
  }
}

/** The ipmi hardware type: power and boot device through ipmitool over IPMI 2.0 (lanplus). */
export function ipmiHardware(config: IpmiConfig): HardwareType {
  return {
    name: 'ipmi',
    power: new IpmiPower(config),
    management: new IpmiManagement(config),
    close: async () => undefined,
  };
}
