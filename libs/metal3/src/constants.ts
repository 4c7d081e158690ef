/** API group, version and kinds Ingot serves, the same as Metal3's baremetal-operator. */
export const METAL3_GROUP = 'metal3.io';
export const METAL3_VERSION = 'v1alpha1';
export const METAL3_API_VERSION = `${METAL3_GROUP}/${METAL3_VERSION}`;
export const BAREMETALHOST_KIND = 'BareMetalHost';
export const BAREMETALHOST_PLURAL = 'baremetalhosts';
export const HARDWAREDATA_KIND = 'HardwareData';
export const HARDWAREDATA_PLURAL = 'hardwaredata';
export const HOSTFIRMWARESETTINGS_KIND = 'HostFirmwareSettings';
export const HOSTFIRMWARESETTINGS_PLURAL = 'hostfirmwaresettings';
export const FIRMWARESCHEMA_KIND = 'FirmwareSchema';
export const FIRMWARESCHEMA_PLURAL = 'firmwareschemas';
export const HOSTFIRMWARECOMPONENTS_KIND = 'HostFirmwareComponents';
export const HOSTFIRMWARECOMPONENTS_PLURAL = 'hostfirmwarecomponents';

/** Finalizer that holds a host's object until its server is deprovisioned and forgotten. */
export const BAREMETALHOST_FINALIZER = 'baremetalhost.metal3.io';

/** Annotations with Metal3's meaning. */
export const ANNOTATIONS = {
  /** Present: the host is not reconciled at all (CAPM3 sets the value `metal3.io/capm3`). */
  paused: 'baremetalhost.metal3.io/paused',
  /** Present: the host is kept but no longer managed (value: optional JSON {deleteAction}). */
  detached: 'baremetalhost.metal3.io/detached',
  /** The whole status as JSON, restored on a fresh object (clusterctl move). */
  status: 'baremetalhost.metal3.io/status',
  /** `reboot.metal3.io` or `reboot.metal3.io/<key>`, value optional JSON {"mode":"hard|soft"}. */
  rebootPrefix: 'reboot.metal3.io',
  /** `disabled` skips inspection; any other value (set again) requests a new inspection. */
  inspect: 'inspect.metal3.io',
  /** Hardware details as JSON for a host whose inspection is disabled; consumed once. */
  hardwareDetails: 'inspect.metal3.io/hardwaredetails',
} as const;

/** The value of the inspect annotation that turns inspection off. */
export const INSPECT_DISABLED = 'disabled';
/** The paused annotation value that cluster-api-provider-metal3 uses during a move. */
export const PAUSED_BY_CAPM3 = 'metal3.io/capm3';

/** status.provisioning.state values (Metal3's names; '' is a host not yet seen). */
export const PROVISIONING_STATES = [
  '',
  'unmanaged',
  'registering',
  'match profile',
  'preparing',
  'ready',
  'available',
  'provisioning',
  'provisioned',
  'externally provisioned',
  'deprovisioning',
  'inspecting',
  'powering off before delete',
  'deleting',
] as const;
export type ProvisioningState = (typeof PROVISIONING_STATES)[number];
/** Provisioning states by their Go constant names in baremetal-operator, for readable code. */
export const ProvisioningStates = {
  None: '',
  Unmanaged: 'unmanaged',
  Registering: 'registering',
  MatchProfile: 'match profile',
  Preparing: 'preparing',
  Ready: 'ready',
  Available: 'available',
  Provisioning: 'provisioning',
  Provisioned: 'provisioned',
  ExternallyProvisioned: 'externally provisioned',
  Deprovisioning: 'deprovisioning',
  Inspecting: 'inspecting',
  PoweringOffBeforeDelete: 'powering off before delete',
  Deleting: 'deleting',
} as const satisfies Record<string, ProvisioningState>;

/** status.operationalStatus values. */
export const OPERATIONAL_STATUSES = [
  '',
  'OK',
  'discovered',
  'error',
  'delayed',
  'detached',
  'servicing',
] as const;
export type OperationalStatus = (typeof OPERATIONAL_STATUSES)[number];
export const OperationalStatuses = {
  Unknown: '',
  OK: 'OK',
  Discovered: 'discovered',
  Error: 'error',
  Delayed: 'delayed',
  Detached: 'detached',
  Servicing: 'servicing',
} as const satisfies Record<string, OperationalStatus>;

/**
 * status.errorType values. Upstream's Go code defines `detach error` but its CRD's enum leaves it
 * out; Ingot's CRD allows it (a superset: every upstream object stays valid).
 */
export const ERROR_TYPES = [
  'provisioned registration error',
  'registration error',
  'inspection error',
  'preparation error',
  'provisioning error',
  'power management error',
  'servicing error',
  'detach error',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];
export const ErrorTypes = {
  ProvisionedRegistration: 'provisioned registration error',
  Registration: 'registration error',
  Inspection: 'inspection error',
  Preparation: 'preparation error',
  Provisioning: 'provisioning error',
  PowerManagement: 'power management error',
  Servicing: 'servicing error',
  Detach: 'detach error',
} as const satisfies Record<string, ErrorType>;

export const BOOT_MODES = ['UEFI', 'UEFISecureBoot', 'legacy'] as const;
export type BootMode = (typeof BOOT_MODES)[number];
export const AUTOMATED_CLEANING_MODES = ['metadata', 'disabled'] as const;
export type AutomatedCleaningMode = (typeof AUTOMATED_CLEANING_MODES)[number];
export const CHECKSUM_TYPES = ['md5', 'sha256', 'sha512', 'auto'] as const;
export type ChecksumType = (typeof CHECKSUM_TYPES)[number];
export const IMAGE_FORMATS = ['raw', 'qcow2', 'vdi', 'vmdk', 'live-iso'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];
export const INSPECTION_MODES = ['disabled', 'agent', 'fast'] as const;
export type InspectionMode = (typeof INSPECTION_MODES)[number];
export const DISK_TYPES = ['HDD', 'SSD', 'NVME'] as const;
export type DiskType = (typeof DISK_TYPES)[number];
export const HARDWARE_RAID_LEVELS = ['0', '1', '2', '5', '6', '1+0', '5+0', '6+0'] as const;
export const SOFTWARE_RAID_LEVELS = ['0', '1', '1+0'] as const;
export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
/** FirmwareSchema attribute_type values (the BIOS registry's types). */
export const BIOS_ATTRIBUTE_TYPES = [
  'Enumeration',
  'String',
  'Integer',
  'Boolean',
  'Password',
] as const;
/** Conditions of HostFirmwareSettings and HostFirmwareComponents. */
export const FIRMWARE_CONDITIONS = {
  /** The spec asks for something the status does not show yet. */
  changeDetected: 'ChangeDetected',
  /** The spec can be applied (known settings and values, known components). */
  valid: 'Valid',
} as const;
/** The components a HostFirmwareComponents update may name: bios, bmc, or nic:<id>. */
export const NIC_COMPONENT_PREFIX = 'nic:';

/** Reboot modes of the reboot annotation's JSON value. */
export const REBOOT_MODES = ['hard', 'soft'] as const;
export type RebootMode = (typeof REBOOT_MODES)[number];

/** The secret keys Metal3 reads BMC credentials from. */
export const CREDENTIALS_KEYS = { username: 'username', password: 'password' } as const;
