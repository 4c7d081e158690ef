import type {
  BootOverride,
  MachineControls,
  MediaDevice,
  MediaState,
  RedfishPower,
  ResetType,
} from './machine.js';

const NO_OVERRIDE: BootOverride = Object.freeze({
  enabled: 'Disabled',
  target: 'None',
  mode: 'UEFI',
});
const EMPTY_SLOT: MediaState = Object.freeze({
  image: null,
  inserted: false,
  writeProtected: true,
});
const NO_MEDIA: Readonly<Record<MediaDevice, MediaState>> = Object.freeze({
  Cd: EMPTY_SLOT,
  Usb: EMPTY_SLOT,
});

/** What a bench or a test can observe of one system of a light host. */
export interface LightSystemState {
  power: RedfishPower;
  boot: BootOverride;
  media: Record<MediaDevice, MediaState>;
  secureBoot: boolean;
  /** HTTP requests whose path named this system or its manager. */
  requests: number;
}

/**
 * One ComputerSystem of a light BMC host: a handful of fields, so that a host holds tens of
 * thousands. Untouched systems share frozen defaults, replaced (never mutated) on change. Power
 * changes at once and boots nothing: no agent runs behind a light system.
 */
export class LightSystem implements MachineControls {
  boot: BootOverride = NO_OVERRIDE;
  media: Readonly<Record<MediaDevice, MediaState>> = NO_MEDIA;
  secureBoot = false;
  requests = 0;

  constructor(public power: RedfishPower) {}

  reset(type: ResetType): void {
    switch (type) {
      case 'On':
      case 'ForceOn':
        if (this.power === 'Off') this.powerOn();
        return;
      case 'GracefulRestart':
      case 'ForceRestart':
      case 'PowerCycle':
        return this.powerOn();
      case 'ForceOff':
      case 'GracefulShutdown':
        this.power = 'Off';
        return;
      case 'Nmi':
        return;
    }
  }

  setBoot(change: Partial<BootOverride>): void {
    const boot = { ...this.boot, ...change };
    if (boot.enabled === 'Disabled') boot.target = 'None';
    this.boot = boot;
  }

  insertMedia(device: MediaDevice, image: string, writeProtected: boolean): void {
    this.media = { ...this.media, [device]: { image, inserted: true, writeProtected } };
  }

  ejectMedia(device: MediaDevice): void {
    this.media = { ...this.media, [device]: EMPTY_SLOT };
  }

  get state(): LightSystemState {
    return {
      power: this.power,
      boot: { ...this.boot },
      media: { Cd: { ...this.media.Cd }, Usb: { ...this.media.Usb } },
      secureBoot: this.secureBoot,
      requests: this.requests,
    };
  }

  private powerOn(): void {
    this.power = 'On';
    // A one-time override is consumed by the boot it applied to, as on real hardware.
    if (this.boot.enabled === 'Once') this.setBoot({ enabled: 'Disabled' });
  }
}
