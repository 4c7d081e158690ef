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
/** One virtual media slot as a BMC shows it (Ironic's get_virtual_media entries). */
export interface VirtualMediaState {
  media_types: string[];
  inserted: boolean;
  image: string | null;
}
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
  /** Every virtual media slot with what is inserted in it. */
  listVirtualMedia(): Promise<VirtualMediaState[]>;
  /**
   * UEFI secure boot (Ironic's get/set_secure_boot_state). A hardware type that cannot manage it
   * rejects with a BmcError of kind 'unsupported' saying so.
   */
  getSecureBootState(): Promise<SecureBootState>;
  /** Sets it, reads it back and answers what the BMC reports; refused when it did not take. */
  setSecureBootState(enabled: boolean): Promise<SecureBootState>;
  /**
   * The mode the server boots in (Ironic's get/set_boot_mode); null when the BMC does not say. A
   * hardware type that cannot manage it rejects with a BmcError of kind 'unsupported'.
   */
  getBootMode(): Promise<BootMode | null>;
  /**
   * Sets it, reads it back and answers what the BMC reports (null when it does not say); refused
   * when it did not take.
   */
  setBootMode(mode: BootMode): Promise<BootMode | null>;
  /**
   * Injects a non-maskable interrupt now (Ironic's inject_nmi): the OS usually panics and dumps
   * its memory. Unsupported: a BmcError of kind 'unsupported'.
   */
  injectNmi(): Promise<void>;
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
  /** BIOS settings, RAID and firmware updates: redfish only (and a BIOS store in fake). */
  bios?: BiosInterface;
  raid?: RaidInterface;
  firmware?: FirmwareInterface;
  /** Releases what the hardware type holds on the BMC (e.g. a Redfish session). */
  close(): Promise<void>;
}

/*
 * BIOS, RAID and firmware (Ironic's bios, raid and firmware interfaces). Their shapes are defined
 * here for now; once the conductor and the API use them they belong in libs/contracts as TypeBox
 * schemas.
 */

export type BiosValue = string | number | boolean | null;

/**
 * One BIOS setting as Ironic's API shows it (ironic/objects/bios.py): the value, and what the
 * BIOS attribute registry says of it; null where the registry does not say.
 */
export interface BiosSetting {
  name: string;
  value: BiosValue;
  /** Enumeration, String, Integer, Boolean or Password. */
  attribute_type: string | null;
  allowable_values: string[] | null;
  lower_bound: number | null;
  upper_bound: number | null;
  min_length: number | null;
  max_length: number | null;
  read_only: boolean | null;
  reset_required: boolean | null;
  /** Unique to this server (a service tag): not to be copied to another. */
  unique: boolean | null;
}

/** What a BIOS change left behind: settings wait for the server's next boot. */
export interface BiosChange {
  /** The values sent, converted to the registry's types. */
  staged: Record<string, BiosValue>;
  rebootRequired: boolean;
}

export interface BiosPending {
  /** Settings staged for the next boot (the Redfish Settings resource). */
  settings: Record<string, BiosValue>;
  /** A factory reset waits for the next boot. */
  factoryReset: boolean;
}

export interface BiosInterface {
  getSettings(): Promise<Record<string, BiosSetting>>;
  /**
   * Checks every setting against the attribute registry (a refused one is a BmcError of kind
   * 'invalid_config' naming it, and nothing is sent), then stages them for the next boot.
   */
  applySettings(settings: { name: string; value: BiosValue }[]): Promise<BiosChange>;
  /** Asks for the factory defaults, applied at the next boot. */
  factoryReset(): Promise<void>;
  /** What still waits for a boot; empty once the server rebooted and applied it. */
  pendingSettings(): Promise<BiosPending>;
}

/** Ironic's raid_level values (ironic/common/raid.py), mapped to Redfish RAIDType by drivers. */
export type RaidLevel = '0' | '1' | '5' | '6' | '1+0' | '5+0' | '6+0';

/** One entry of Ironic's target_raid_config.logical_disks. */
export interface LogicalDisk {
  /** Size in GiB, or 'MAX' for all the space the physical disks hold (physical_disks required). */
  size_gb: number | 'MAX';
  raid_level: RaidLevel;
  is_root_volume?: boolean;
  /** Drive ids (Redfish Drive Id, name or @odata.id); chosen among free drives when absent. */
  physical_disks?: string[];
  /** The storage (Id or @odata.id) to create it on; the first that supports the level otherwise. */
  controller?: string;
  volume_name?: string;
}

export interface RaidControllerInfo {
  /** @odata.id of the Storage resource. */
  id: string;
  name: string;
  model: string | null;
  raid_types: string[];
  /** The Ironic raid levels it supports. */
  raid_levels: RaidLevel[];
  drives: string[];
}

export interface RaidDrive {
  /** Redfish Drive Id, what physical_disks names. */
  id: string;
  path: string;
  name: string;
  capacity_bytes: number;
  media_type: string | null;
  protocol: string | null;
  identifiers: string[];
  controller: string;
  /** @odata.id of the volumes it belongs to. */
  volumes: string[];
}

export interface RaidVolume {
  path: string;
  /** The volume's Id (what Ironic's raid_config calls it). */
  id: string;
  name: string;
  raid_type: string | null;
  raid_level: RaidLevel | null;
  capacity_bytes: number;
  size_gb: number;
  physical_disks: string[];
  controller: string;
  /** DurableNames (an NAA WWN is what the OS sees as the virtual disk's WWN). */
  identifiers: string[];
}

/** A logical disk as created: sizes and drives resolved, and where to follow it. */
export interface CreatedLogicalDisk extends LogicalDisk {
  size_gb: number;
  physical_disks: string[];
  controller: string;
  /** @odata.id of the volume, when the BMC created it at once. */
  volume: string | null;
  /** Task URI, when the BMC accepted it for later (e.g. at the next boot). */
  task: string | null;
}

export interface RaidConfiguration {
  logical_disks: CreatedLogicalDisk[];
  /** The volumes wait for the server's next boot. */
  rebootRequired: boolean;
}

export interface RaidInterface {
  controllers(): Promise<RaidControllerInfo[]>;
  drives(): Promise<RaidDrive[]>;
  volumes(): Promise<RaidVolume[]>;
  /**
   * Creates the logical disks (root volume first), after checking levels, drive counts and sizes;
   * a request the hardware cannot satisfy is a BmcError of kind 'invalid_config' saying why.
   * `applyTime` defaults as Ironic's does: Immediate when the BMC offers it, else OnReset.
   */
  createConfiguration(
    logicalDisks: LogicalDisk[],
    opts?: { applyTime?: 'Immediate' | 'OnReset' },
  ): Promise<RaidConfiguration>;
  /** Deletes every volume of every RAID controller; answers their @odata.ids. */
  deleteConfiguration(): Promise<{ deleted: string[] }>;
}

/** One firmware component as Ironic's firmware API shows it: bios, bmc, nic:<id>. */
export interface FirmwareComponentInfo {
  component: string;
  current_version: string;
  updateable: boolean;
  /** The FirmwareInventory member, when the BMC lists one. */
  inventory_path: string | null;
}

/** One entry of Ironic's firmware update step settings. */
export interface FirmwareUpdateRequest {
  component: string;
  url: string;
  /** Seconds to wait after this update before the next step (kept for the caller). */
  wait?: number;
}

/** A started update: plain JSON, so a conductor can keep it and poll after a restart. */
export interface FirmwareTaskHandle {
  component: string;
  url: string;
  wait?: number;
  /** Task (monitor) URI the BMC answered; null when it finished the update at once. */
  task: string | null;
}

export interface FirmwareTaskStatus {
  state: 'running' | 'completed' | 'failed';
  /** The BMC's TaskState. */
  task_state: string | null;
  percent: number | null;
  /** The BMC's last task message: why it failed, or what is left to do. */
  message: string | null;
  /** The new version runs only after a reboot (BIOS, NIC firmware). */
  rebootRequired: boolean;
}

export interface FirmwareInterface {
  components(): Promise<FirmwareComponentInfo[]>;
  /** Starts one SimpleUpdate per entry, in order; answers a handle for each. */
  update(components: FirmwareUpdateRequest[]): Promise<FirmwareTaskHandle[]>;
  taskStatus(handle: FirmwareTaskHandle): Promise<FirmwareTaskStatus>;
}
