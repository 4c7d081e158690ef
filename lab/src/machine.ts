import { EventEmitter } from 'node:events';

export type RedfishPower = 'On' | 'Off';

export const RESET_TYPES = [
  'On',
  'ForceOn',
  'ForceOff',
  'GracefulShutdown',
  'GracefulRestart',
  'ForceRestart',
  'PowerCycle',
  'Nmi',
] as const;
export type ResetType = (typeof RESET_TYPES)[number];

export const BOOT_OVERRIDE_ENABLED = ['Disabled', 'Once', 'Continuous'] as const;
export const BOOT_OVERRIDE_TARGETS = [
  'None',
  'Pxe',
  'Cd',
  'Usb',
  'Hdd',
  'BiosSetup',
  'UefiHttp',
] as const;
export const BOOT_OVERRIDE_MODES = ['UEFI', 'Legacy'] as const;

export interface BootOverride {
  enabled: (typeof BOOT_OVERRIDE_ENABLED)[number];
  target: (typeof BOOT_OVERRIDE_TARGETS)[number];
  mode: (typeof BOOT_OVERRIDE_MODES)[number];
}

export const MEDIA_DEVICES = ['Cd', 'Usb'] as const;
export type MediaDevice = (typeof MEDIA_DEVICES)[number];

export interface MediaState {
  image: string | null;
  inserted: boolean;
  writeProtected: boolean;
}

export interface PowerChange {
  from: RedfishPower;
  to: RedfishPower;
  /** The Reset that caused it. */
  resetType: ResetType;
  /** On power-on: where the server boots from (the override, else its disk). */
  bootTarget?: BootOverride['target'];
}

export interface MediaChange {
  device: MediaDevice;
  action: 'insert' | 'eject';
  image: string | null;
}

export interface MachineEvents {
  power: [PowerChange];
  boot: [BootOverride];
  media: [MediaChange];
}

/**
 * What a ComputerSystem's Redfish routes read and do: the full SimulatedMachine behind one lab BMC,
 * or one of the many tiny systems of a light BMC host.
 */
export interface MachineControls {
  readonly power: RedfishPower;
  readonly boot: BootOverride;
  readonly media: Readonly<Record<MediaDevice, MediaState>>;
  secureBoot: boolean;
  reset(type: ResetType): void;
  setBoot(change: Partial<BootOverride>): void;
  insertMedia(device: MediaDevice, image: string, writeProtected: boolean): void;
  ejectMedia(device: MediaDevice): void;
}

/**
 * The server behind a BMC: power, boot override and virtual media, with a settable delay for
 * power transitions. It knows nothing about HTTP.
 */
export class SimulatedMachine extends EventEmitter<MachineEvents> implements MachineControls {
  power: RedfishPower;
  boot: BootOverride = { enabled: 'Disabled', target: 'None', mode: 'UEFI' };
  readonly media: Record<MediaDevice, MediaState> = {
    Cd: { image: null, inserted: false, writeProtected: true },
    Usb: { image: null, inserted: false, writeProtected: true },
  };
  readonly resets: ResetType[] = [];
  /** UEFI secure boot, a firmware setting (the Redfish SecureBoot resource's SecureBootEnable). */
  secureBoot = false;
  powerDelayMs: number;
  private pending: NodeJS.Timeout | undefined;

  constructor(opts: { power?: RedfishPower; powerDelayMs?: number } = {}) {
    super();
    this.power = opts.power ?? 'Off';
    this.powerDelayMs = opts.powerDelayMs ?? 0;
  }

  reset(type: ResetType): void {
    this.resets.push(type);
    this.cancelPending();
    switch (type) {
      case 'On':
      case 'ForceOn':
        if (this.power === 'Off') this.later(() => this.setPower('On', type));
        return;
      case 'ForceOff':
      case 'GracefulShutdown':
        if (this.power === 'On') this.later(() => this.setPower('Off', type));
        return;
      case 'GracefulRestart':
      case 'ForceRestart':
      case 'PowerCycle':
        // The server goes dark at once and comes back after the delay.
        if (this.power === 'On') this.setPower('Off', type);
        this.later(() => this.setPower('On', type));
        return;
      case 'Nmi':
        return;
    }
  }

  /** The server's own OS powered it off (`poweroff`): not a BMC action, so not in `resets`. */
  hostPowerOff(): void {
    this.cancelPending();
    this.setPower('Off', 'GracefulShutdown');
  }

  /** The server's own OS rebooted it (`reboot`): dark at once, back after the delay. */
  hostReboot(): void {
    this.cancelPending();
    if (this.power === 'On') this.setPower('Off', 'GracefulRestart');
    this.later(() => this.setPower('On', 'GracefulRestart'));
  }

  setBoot(change: Partial<BootOverride>): void {
    this.boot = { ...this.boot, ...change };
    if (this.boot.enabled === 'Disabled') this.boot.target = 'None';
    this.emit('boot', { ...this.boot });
  }

  insertMedia(device: MediaDevice, image: string, writeProtected: boolean): void {
    this.media[device] = { image, inserted: true, writeProtected };
    this.emit('media', { device, action: 'insert', image });
  }

  ejectMedia(device: MediaDevice): void {
    const { image } = this.media[device];
    this.media[device] = { image: null, inserted: false, writeProtected: true };
    this.emit('media', { device, action: 'eject', image });
  }

  /** Stops a pending power transition, so that nothing fires after the BMC is gone. */
  cancelPending(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
  }

  private later(action: () => void): void {
    if (this.powerDelayMs <= 0) return action();
    this.pending = setTimeout(() => {
      this.pending = undefined;
      action();
    }, this.powerDelayMs);
  }

  private setPower(to: RedfishPower, resetType: ResetType): void {
    const from = this.power;
    if (from === to) return;
    this.power = to;
    if (to === 'Off') return void this.emit('power', { from, to, resetType });
    const overridden = this.boot.enabled !== 'Disabled' && this.boot.target !== 'None';
    const bootTarget = overridden ? this.boot.target : 'Hdd';
    this.emit('power', { from, to, resetType, bootTarget });
    // A one-time override is consumed by the boot it applied to, as on real hardware.
    if (this.boot.enabled === 'Once') this.setBoot({ enabled: 'Disabled' });
  }
}
