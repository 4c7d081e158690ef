import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { BiosSettingChangeSchema, BiosSettingSchema } from './bios.js';
import {
  FirmwareComponentSchema,
  FirmwareTaskHandleSchema,
  FirmwareTaskStatusSchema,
  FirmwareUpdateSettingSchema,
} from './firmware.js';
import {
  CreatedLogicalDiskSchema,
  RaidCreatePayloadSchema,
  RaidInventorySchema,
} from './raid-config.js';
import {
  BootDeviceSchema,
  BootModeSchema,
  PowerStateSchema,
  PowerTargetSchema,
  ProvisionStateSchema,
  ProvisionVerbSchema,
} from './states.js';
import { StringEnum } from './string-enum.js';

const Uuid = Type.String({ minLength: 1 });
const JsonObject = Type.Record(Type.String(), Type.Unknown());

/** Fields every bus message carries besides its payload. */
const envelopeFields = {
  /** Unique per logical command; used as Nats-Msg-Id and for handler de-duplication. */
  id: Type.String({ minLength: 1 }),
  site: Type.String(),
  node_uuid: Uuid,
  request_id: Type.Optional(Type.String()),
  issued_at: Type.String(),
  /** A command not started by then is dropped with an error instead of acting late. */
  expires_at: Type.Optional(Type.String()),
  /**
   * BMC commands: the digest of the node's driver and driver_info as the sender read them, so a
   * power worker that built its driver from the same may skip reading the node again.
   */
  driver_fingerprint: Type.Optional(Type.String()),
};

const message = <K extends string, P extends TSchema>(type: K, payload: P) =>
  Type.Object({ ...envelopeFields, type: Type.Literal(type), payload });

// --- Commands to the conductor of a site: <prefix>.cmd.<site>.conductor
export const ProvisionCommandSchema = message(
  'node.provision',
  Type.Object({
    verb: ProvisionVerbSchema,
    clean_steps: Type.Optional(Type.Array(JsonObject)),
    deploy_steps: Type.Optional(Type.Array(JsonObject)),
    service_steps: Type.Optional(Type.Array(JsonObject)),
  }),
);
export const PowerCommandSchema = message(
  'node.power',
  Type.Object({
    target: PowerTargetSchema,
    timeout_s: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
);
/** A boot device change requested through the API (PUT .../management/boot_device). */
export const BootDeviceCommandSchema = message(
  'node.boot_device',
  Type.Object({ device: BootDeviceSchema, persistent: Type.Boolean() }),
);
/** A boot mode change requested through the API (PUT .../states/boot_mode). */
export const BootModeCommandSchema = message(
  'node.boot_mode',
  Type.Object({ mode: BootModeSchema }),
);
/** A UEFI secure boot change requested through the API (PUT .../states/secure_boot). */
export const SecureBootCommandSchema = message(
  'node.secure_boot',
  Type.Object({ enabled: Type.Boolean() }),
);
/** Virtual media a BMC can play: a CD/DVD drive or a USB stick (Ironic's cdrom and disk). */
export const VmediaDeviceSchema = Type.Union([Type.Literal('cd'), Type.Literal('usb')]);
/**
 * Virtual media attached or detached through the API (POST/DELETE .../vmedia, 1.89; the redfish
 * vendor method eject_vmedia): carried out by the site's conductor holding the node.
 */
export const VmediaCommandSchema = message(
  'node.vmedia',
  Type.Union([
    Type.Object({
      action: Type.Literal('attach'),
      device: VmediaDeviceSchema,
      url: Type.String({ minLength: 1 }),
    }),
    Type.Object({ action: Type.Literal('detach'), devices: Type.Array(VmediaDeviceSchema) }),
  ]),
);
/** An agent heartbeat the API accepted (token and callback URL already checked). */
export const HeartbeatCommandSchema = message(
  'node.heartbeat',
  Type.Object({ agent_url: Type.String(), agent_version: Type.String() }),
);
/** The inspector finished processing a node's inventory. */
export const InspectionResultSchema = message(
  'node.inspection_result',
  Type.Object({ ok: Type.Boolean(), message: Type.Optional(Type.String()) }),
);
export const ConductorCommandSchema = Type.Union([
  ProvisionCommandSchema,
  PowerCommandSchema,
  BootDeviceCommandSchema,
  BootModeCommandSchema,
  SecureBootCommandSchema,
  VmediaCommandSchema,
  HeartbeatCommandSchema,
  InspectionResultSchema,
]);
export type HeartbeatCommand = Static<typeof HeartbeatCommandSchema>;
export type InspectionResultCommand = Static<typeof InspectionResultSchema>;
export type ProvisionCommand = Static<typeof ProvisionCommandSchema>;
export type PowerCommand = Static<typeof PowerCommandSchema>;
export type BootDeviceCommand = Static<typeof BootDeviceCommandSchema>;
export type BootModeCommand = Static<typeof BootModeCommandSchema>;
export type SecureBootCommand = Static<typeof SecureBootCommandSchema>;
export type VmediaCommand = Static<typeof VmediaCommandSchema>;
export type VmediaDevice = Static<typeof VmediaDeviceSchema>;
export type ConductorCommand = Static<typeof ConductorCommandSchema>;

// --- Commands to the BMC (power) workers of a site: <prefix>.cmd.<site>.power
export const BmcVerifySchema = message('bmc.verify', Type.Object({}));
export const BmcGetPowerSchema = message('bmc.get_power', Type.Object({}));
export const BmcSetPowerSchema = message(
  'bmc.set_power',
  Type.Object({
    target: PowerTargetSchema,
    timeout_s: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
);
export const BmcSetBootDeviceSchema = message(
  'bmc.set_boot_device',
  Type.Object({
    device: BootDeviceSchema,
    persistent: Type.Boolean(),
    boot_mode: Type.Optional(Type.Union([Type.Literal('uefi'), Type.Literal('bios')])),
  }),
);
/** Reads the boot override (GET .../management/boot_device); changes nothing. */
export const BmcGetBootDeviceSchema = message('bmc.get_boot_device', Type.Object({}));
/** Reads the boot mode the BMC boots the server in (Ironic's management get_boot_mode). */
export const BmcGetBootModeSchema = message('bmc.get_boot_mode', Type.Object({}));
/** Sets the boot mode, reads it back and answers it (Ironic's management set_boot_mode). */
export const BmcSetBootModeSchema = message(
  'bmc.set_boot_mode',
  Type.Object({ mode: BootModeSchema }),
);
/** Injects a non-maskable interrupt at once (Ironic's management inject_nmi). */
export const BmcInjectNmiSchema = message('bmc.inject_nmi', Type.Object({}));
export const BmcInsertMediaSchema = message(
  'bmc.insert_media',
  Type.Object({
    url: Type.String({ minLength: 1 }),
    device: Type.Union([Type.Literal('cd'), Type.Literal('usb')]),
  }),
);
export const BmcEjectMediaSchema = message(
  'bmc.eject_media',
  Type.Object({ device: Type.Union([Type.Literal('cd'), Type.Literal('usb')]) }),
);
/** Reads every virtual media slot and what is inserted (GET .../vmedia); changes nothing. */
export const BmcGetVmediaSchema = message('bmc.get_vmedia', Type.Object({}));
/** Out-of-band inspection: the hardware as the BMC describes it, without booting anything. */
export const BmcInventorySchema = message('bmc.inventory', Type.Object({}));
/** Reads UEFI secure boot (Ironic's management get_secure_boot_state); changes nothing. */
export const BmcGetSecureBootSchema = message('bmc.get_secure_boot', Type.Object({}));
/** Turns UEFI secure boot on or off (Ironic's management set_secure_boot_state). */
export const BmcSetSecureBootSchema = message(
  'bmc.set_secure_boot',
  Type.Object({ enabled: Type.Boolean() }),
);
/** Reads the BIOS settings with their registry (Ironic's bios cache_bios_settings); changes nothing. */
export const BmcBiosSettingsSchema = message('bmc.bios_settings', Type.Object({}));
/** Stages BIOS settings, checked against the registry, for the next boot (apply_configuration). */
export const BmcBiosApplySchema = message(
  'bmc.bios_apply',
  Type.Object({ settings: Type.Array(BiosSettingChangeSchema, { minItems: 1 }) }),
);
/** Asks for the BIOS defaults at the next boot (factory_reset). */
export const BmcBiosFactoryResetSchema = message('bmc.bios_factory_reset', Type.Object({}));
/** Reads the firmware components and their versions (Ironic's cache_firmware_components). */
export const BmcFirmwareComponentsSchema = message('bmc.firmware_components', Type.Object({}));
/** Starts one SimpleUpdate for one component; answers the task handle to poll. */
export const BmcFirmwareUpdateSchema = message('bmc.firmware_update', FirmwareUpdateSettingSchema);
/** Asks where a firmware update started by bmc.firmware_update is; changes nothing. */
export const BmcFirmwareTaskSchema = message(
  'bmc.firmware_task',
  Type.Object({ task: FirmwareTaskHandleSchema }),
);
/** Reads the RAID controllers, their drives and volumes (Ironic's update_raid_config reads). */
export const BmcRaidReadSchema = message('bmc.raid_read', Type.Object({}));
/** Creates logical disks (create_configuration): at once, or staged for the next boot. */
export const BmcRaidCreateSchema = message('bmc.raid_create', RaidCreatePayloadSchema);
/** Deletes every volume of every RAID controller (delete_configuration). */
export const BmcRaidDeleteSchema = message('bmc.raid_delete', Type.Object({}));
export const BmcCommandSchema = Type.Union([
  BmcRaidReadSchema,
  BmcRaidCreateSchema,
  BmcRaidDeleteSchema,
  BmcFirmwareComponentsSchema,
  BmcFirmwareUpdateSchema,
  BmcFirmwareTaskSchema,
  BmcBiosSettingsSchema,
  BmcBiosApplySchema,
  BmcBiosFactoryResetSchema,
  BmcInventorySchema,
  BmcGetSecureBootSchema,
  BmcSetSecureBootSchema,
  BmcVerifySchema,
  BmcGetPowerSchema,
  BmcSetPowerSchema,
  BmcSetBootDeviceSchema,
  BmcGetBootDeviceSchema,
  BmcGetBootModeSchema,
  BmcSetBootModeSchema,
  BmcInjectNmiSchema,
  BmcInsertMediaSchema,
  BmcEjectMediaSchema,
  BmcGetVmediaSchema,
]);
export type BmcCommand = Static<typeof BmcCommandSchema>;
export type BmcCommandType = BmcCommand['type'];

/** What a BMC tells about its server (Ironic's redfish inspect interface reads the same). */
export const OobInventorySchema = Type.Object({
  cpus: Type.Integer({ minimum: 0 }),
  cpu_arch: Type.Optional(Type.String()),
  memory_mb: Type.Integer({ minimum: 0 }),
  disks: Type.Array(Type.Object({ name: Type.String(), size_bytes: Type.Integer({ minimum: 0 }) })),
  nics: Type.Array(Type.Object({ name: Type.String(), mac: Type.String() })),
});
export type OobInventory = Static<typeof OobInventorySchema>;

/**
 * UEFI secure boot as a BMC reports it: `enabled` is the setting (Redfish SecureBootEnable, what
 * Ironic records as the node's secure_boot), `current_boot` whether the current boot used it
 * (SecureBootCurrentBoot), null when the BMC does not say.
 */
export const SecureBootStateSchema = Type.Object({
  enabled: Type.Boolean(),
  current_boot: Type.Union([Type.Boolean(), Type.Null()]),
});
export type SecureBootState = Static<typeof SecureBootStateSchema>;

/** One virtual media slot as the BMC shows it (Redfish MediaTypes, Inserted, Image). */
export const VirtualMediaSlotSchema = Type.Object({
  media_types: Type.Array(Type.String()),
  inserted: Type.Boolean(),
  image: Type.Union([Type.String(), Type.Null()]),
});
export type VirtualMediaSlot = Static<typeof VirtualMediaSlotSchema>;

/** Kinds of BMC failure, so the conductor can word last_error and decide on retries. */
export const BMC_ERROR_KINDS = [
  'auth',
  'unreachable',
  'timeout',
  'tls',
  'not_found',
  'protocol',
  'unsupported',
  'invalid_config',
] as const;
export type BmcErrorKind = (typeof BMC_ERROR_KINDS)[number];

/** Answer of a power worker to a BMC command, sent to the command's reply subject. */
export const BmcReplySchema = Type.Union([
  Type.Object({
    command_id: Type.String(),
    ok: Type.Literal(true),
    power_state: Type.Optional(PowerStateSchema),
    system_id: Type.Optional(Type.String()),
    /** Answer of bmc.get_boot_device: null device when no override is set. */
    boot_device: Type.Optional(Type.Union([BootDeviceSchema, Type.Null()])),
    persistent: Type.Optional(Type.Boolean()),
    /** Answer of bmc.get_boot_mode and bmc.set_boot_mode: null when the BMC does not say. */
    boot_mode: Type.Optional(Type.Union([BootModeSchema, Type.Null()])),
    /** Answer of bmc.inventory. */
    inventory: Type.Optional(OobInventorySchema),
    /** Answer of bmc.get_secure_boot and bmc.set_secure_boot. */
    secure_boot: Type.Optional(SecureBootStateSchema),
    /** Answer of bmc.bios_settings. */
    bios_settings: Type.Optional(Type.Array(BiosSettingSchema)),
    /** Answer of bmc.bios_apply and bmc.bios_factory_reset: the change waits for a boot. */
    reboot_required: Type.Optional(Type.Boolean()),
    /** Answer of bmc.firmware_components. */
    firmware_components: Type.Optional(Type.Array(FirmwareComponentSchema)),
    /** Answer of bmc.firmware_update: the BMC's task, to hand back with bmc.firmware_task. */
    firmware_task: Type.Optional(FirmwareTaskHandleSchema),
    /** Answer of bmc.firmware_task. */
    firmware_status: Type.Optional(FirmwareTaskStatusSchema),
    /** Answer of bmc.raid_read. */
    raid: Type.Optional(RaidInventorySchema),
    /** Answer of bmc.raid_create (with reboot_required when they wait for a boot). */
    raid_created: Type.Optional(Type.Array(CreatedLogicalDiskSchema)),
    /** Answer of bmc.raid_delete: the @odata.id of each volume deleted. */
    raid_deleted: Type.Optional(Type.Array(Type.String())),
    /** Answer of bmc.get_vmedia: each slot, as Ironic's get_virtual_media lists them. */
    virtual_media: Type.Optional(Type.Array(VirtualMediaSlotSchema)),
  }),
  Type.Object({
    command_id: Type.String(),
    ok: Type.Literal(false),
    error: Type.Object({
      kind: StringEnum(BMC_ERROR_KINDS),
      message: Type.String(),
    }),
  }),
]);
export type BmcReply = Static<typeof BmcReplySchema>;

// --- Node events: <prefix>.evt.node.<uuid>.<kind>
export const ProvisionStateChangedSchema = Type.Object({
  id: Type.String(),
  type: Type.Literal('provision_state_changed'),
  node_uuid: Uuid,
  site: Type.String(),
  request_id: Type.Optional(Type.String()),
  at: Type.String(),
  from: ProvisionStateSchema,
  to: ProvisionStateSchema,
  target: Type.Union([ProvisionStateSchema, Type.Null()]),
  event: Type.String(),
  last_error: Type.Union([Type.String(), Type.Null()]),
});
export const PowerStateChangedSchema = Type.Object({
  id: Type.String(),
  type: Type.Literal('power_state_changed'),
  node_uuid: Uuid,
  site: Type.String(),
  request_id: Type.Optional(Type.String()),
  at: Type.String(),
  from: Type.Union([PowerStateSchema, Type.Null()]),
  to: Type.Union([PowerStateSchema, Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
});
/** The outcome of a node.boot_device command: the device set, or why the BMC refused it. */
export const BootDeviceChangedSchema = Type.Object({
  id: Type.String(),
  type: Type.Literal('boot_device_changed'),
  node_uuid: Uuid,
  site: Type.String(),
  request_id: Type.Optional(Type.String()),
  at: Type.String(),
  device: BootDeviceSchema,
  persistent: Type.Boolean(),
  ok: Type.Boolean(),
  error: Type.Optional(Type.Object({ kind: StringEnum(BMC_ERROR_KINDS), message: Type.String() })),
});
/** A node put in or taken out of maintenance, by a person (API) or by power sync (power failure). */
export const MaintenanceChangedSchema = Type.Object({
  id: Type.String(),
  type: Type.Literal('maintenance_changed'),
  node_uuid: Uuid,
  site: Type.String(),
  request_id: Type.Optional(Type.String()),
  at: Type.String(),
  maintenance: Type.Boolean(),
  reason: Type.Union([Type.String(), Type.Null()]),
  fault: Type.Union([Type.String(), Type.Null()]),
});
export const NodeEventSchema = Type.Union([
  ProvisionStateChangedSchema,
  PowerStateChangedSchema,
  BootDeviceChangedSchema,
  MaintenanceChangedSchema,
]);
export type MaintenanceChanged = Static<typeof MaintenanceChangedSchema>;
export type ProvisionStateChanged = Static<typeof ProvisionStateChangedSchema>;
export type PowerStateChanged = Static<typeof PowerStateChangedSchema>;
export type BootDeviceChanged = Static<typeof BootDeviceChangedSchema>;
export type NodeEvent = Static<typeof NodeEventSchema>;

// --- Commands to the image cache of a site: <prefix>.cmd.<site>.imagecache
export const IMAGE_DISK_FORMATS = ['raw', 'qcow2'] as const;
export const HASH_ALGORITHMS = ['sha256', 'sha512', 'md5'] as const;

export const ImagePrepareSchema = message(
  'image.prepare',
  Type.Object({
    /** http(s) URL of the image, as in instance_info.image_source. */
    image_source: Type.String({ minLength: 1 }),
    /** Expected digest; the algorithm is named separately (os_hash_algo) or inferred from length. */
    checksum: Type.Optional(Type.String()),
    hash_algo: Type.Optional(StringEnum(HASH_ALGORITHMS)),
    disk_format: Type.Optional(StringEnum(IMAGE_DISK_FORMATS)),
    /** md5 is refused unless the operator allowed it explicitly. */
    allow_md5: Type.Optional(Type.Boolean()),
    /**
     * Answer within this many ms: the image, or an `in_progress` error while its download goes on
     * (the requester asks again later instead of waiting, and holds nothing meanwhile).
     */
    wait_ms: Type.Optional(Type.Integer({ minimum: 0 })),
    /**
     * When the requester started waiting for this image (epoch ms): a download of it that failed
     * since then, while nobody was waiting on it, is the answer.
     */
    waiting_since: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
);
export const BootIsoSchema = message(
  'image.boot_iso',
  Type.Object({
    /** Written into the ISO as the agent's configuration (api_url, node_uuid, agent_token, ...). */
    agent_config: Type.Record(Type.String(), Type.Unknown()),
  }),
);
/** A MAC address as the API stores it: lower case, colon separated. */
const MacAddress = Type.String({ pattern: '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' });
/**
 * Network boot into the agent for the node whose NICs have these MACs: the image cache serves,
 * at /ipxe/<mac with hyphens>.ipxe, a script that loads the agent kernel and initrd with these kernel
 * parameters (ipa-api-url, ipa-inspection-callback-url, ...). No agent token: anyone on the
 * provisioning network can read the script, so the agent gets its token at its first lookup.
 */
export const PxeConfigSchema = message(
  'image.pxe_config',
  Type.Object({
    macs: Type.Array(MacAddress, { minItems: 1 }),
    kernel_params: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), Type.String()),
    /** The node's driver_info.kernel_append_params, appended to the kernel line as given. */
    kernel_append: Type.Optional(Type.String({ maxLength: 2048 })),
  }),
);
/** The node's network boot is over: its MACs get the script that boots the next device (disk). */
export const PxeClearSchema = message(
  'image.pxe_clear',
  Type.Object({ macs: Type.Array(MacAddress) }),
);
export const ImageCacheCommandSchema = Type.Union([
  ImagePrepareSchema,
  BootIsoSchema,
  PxeConfigSchema,
  PxeClearSchema,
]);
export type ImageCacheCommand = Static<typeof ImageCacheCommandSchema>;

export const IMAGE_ERROR_KINDS = [
  'download',
  'checksum',
  'convert',
  'invalid',
  'capacity',
  'iso',
  'pxe',
  /** Not a failure: the image is still being fetched (an image.prepare with wait_ms). */
  'in_progress',
] as const;
export type ImageErrorKind = (typeof IMAGE_ERROR_KINDS)[number];

/** Answer of the image cache, sent to the command's reply subject. */
export const ImageCacheReplySchema = Type.Union([
  Type.Object({
    command_id: Type.String(),
    ok: Type.Literal(true),
    /** Where agents download the prepared (raw) image or the ISO from. */
    url: Type.String(),
    size: Type.Integer(),
    sha256: Type.String(),
    /** `ipxe` for a PXE config (the url is the script of the first MAC), `none` after a clear. */
    disk_format: StringEnum(['raw', 'iso', 'ipxe', 'none']),
  }),
  Type.Object({
    command_id: Type.String(),
    ok: Type.Literal(false),
    error: Type.Object({ kind: StringEnum(IMAGE_ERROR_KINDS), message: Type.String() }),
  }),
]);
export type ImageCacheReply = Static<typeof ImageCacheReplySchema>;

// --- Commands to the inspectors of a site: <prefix>.cmd.<site>.inspector
export const InspectionProcessSchema = message(
  'inspection.process',
  Type.Object({
    inventory: Type.Record(Type.String(), Type.Unknown()),
    plugin_data: Type.Record(Type.String(), Type.Unknown()),
  }),
);
export type InspectionProcessCommand = Static<typeof InspectionProcessSchema>;
