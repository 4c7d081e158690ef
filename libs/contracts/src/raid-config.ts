import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './string-enum.js';

/** Ironic's raid_level values (ironic/drivers/raid_config_schema.json). */
export const RAID_LEVELS = ['JBOD', '0', '1', '2', '5', '6', '1+0', '5+0', '6+0'] as const;
export type IronicRaidLevel = (typeof RAID_LEVELS)[number];

const DISK_TYPES = ['hdd', 'ssd'] as const;
const INTERFACE_TYPES = ['sata', 'scsi', 'sas'] as const;

/**
 * One logical disk of a target RAID configuration: Ironic's generic raid_config_schema.json, with
 * its descriptions (what GET /v1/drivers/{driver}/raid/logical_disk_properties answers).
 */
export const LogicalDiskSchema = Type.Object(
  {
    raid_level: StringEnum(RAID_LEVELS, {
      description:
        "RAID level for the logical disk. Valid values are 'JBOD', '0', '1', '2', '5', '6', '1+0', '5+0' and '6+0'. Required.",
    }),
    size_gb: Type.Union([Type.Integer({ minimum: 0 }), Type.Literal('MAX')], {
      description:
        "Size in GiB (Integer) for the logical disk. Use 'MAX' as size_gb if this logical disk is supposed to use the rest of the space available. Required.",
    }),
    volume_name: Type.Optional(
      Type.String({
        description:
          'Name of the volume to be created. If this is not specified, it will be auto-generated. Optional.',
      }),
    ),
    is_root_volume: Type.Optional(
      Type.Boolean({
        description:
          'Specifies whether this disk is a root volume. By default, this is False. Optional.',
      }),
    ),
    share_physical_disks: Type.Optional(
      Type.Boolean({
        description:
          'Specifies whether other logical disks can share physical disks with this logical disk. By default, this is False. Optional.',
      }),
    ),
    disk_type: Type.Optional(
      StringEnum(DISK_TYPES, {
        description:
          "The type of disk preferred. Valid values are 'hdd' and 'ssd'. If this is not specified, disk type will not be a selection criterion for choosing backing physical disks. Optional.",
      }),
    ),
    interface_type: Type.Optional(
      StringEnum(INTERFACE_TYPES, {
        description:
          "The interface type of disk. Valid values are 'sata', 'scsi' and 'sas'. If this is not specified, interface type will not be a selection criterion for choosing backing physical disks. Optional.",
      }),
    ),
    number_of_physical_disks: Type.Optional(
      Type.Integer({
        exclusiveMinimum: 0,
        description:
          'Number of physical disks to use for this logical disk. By default, the driver uses the minimum number of disks required for that RAID level. Optional.',
      }),
    ),
    controller: Type.Optional(
      Type.String({
        description:
          'Controller to use for this logical disk. If not specified, the driver will choose a suitable RAID controller on the bare metal node. Optional.',
      }),
    ),
    physical_disks: Type.Optional(
      Type.Union(
        [
          Type.Array(Type.String()),
          Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 2 }),
        ],
        {
          description:
            'The physical disks to use for this logical disk. If not specified, the driver will choose suitable physical disks to use. Optional.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type TargetLogicalDisk = Static<typeof LogicalDiskSchema>;

/** A node's target_raid_config (PUT /v1/nodes/{node}/states/raid), when not {}. */
export const TargetRaidConfigSchema = Type.Object(
  { logical_disks: Type.Array(LogicalDiskSchema, { minItems: 1 }) },
  { additionalProperties: false },
);
export type TargetRaidConfig = Static<typeof TargetRaidConfigSchema>;

/** What a logical disk may say, with Ironic's words: its schema's descriptions. */
export const logicalDiskProperties = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(LogicalDiskSchema.properties).map(([name, schema]) => [
      name,
      String((schema as { description?: unknown }).description),
    ]),
  );

// --- Ironic's validate_configuration (ironic/common/raid.py), worded as its jsonschema errors.

const py = (value: unknown): string =>
  typeof value === 'string'
    ? `'${value}'`
    : typeof value === 'boolean'
      ? value
        ? 'True'
        : 'False'
      : value === null
        ? 'None'
        : JSON.stringify(value);
const pyList = (values: readonly string[]) => `[${values.map(py).join(', ')}]`;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why one field of a logical disk is invalid, or undefined. */
function fieldProblem(name: string, value: unknown): string | undefined {
  const notType = (type: string) => `${py(value)} is not of type '${type}'`;
  switch (name) {
    case 'raid_level':
      if (typeof value !== 'string') return notType('string');
      return (RAID_LEVELS as readonly string[]).includes(value)
        ? undefined
        : `${py(value)} is not one of ${pyList(RAID_LEVELS)}`;
    case 'size_gb':
      return value === 'MAX' || (Number.isInteger(value) && (value as number) >= 0)
        ? undefined
        : `${py(value)} is not valid under any of the given schemas`;
    case 'volume_name':
    case 'controller':
      return typeof value === 'string' ? undefined : notType('string');
    case 'is_root_volume':
    case 'share_physical_disks':
      return typeof value === 'boolean' ? undefined : notType('boolean');
    case 'disk_type':
    case 'interface_type': {
      const allowed = name === 'disk_type' ? DISK_TYPES : INTERFACE_TYPES;
      if (typeof value !== 'string') return notType('string');
      return (allowed as readonly string[]).includes(value)
        ? undefined
        : `${py(value)} is not one of ${pyList(allowed)}`;
    }
    case 'number_of_physical_disks':
      if (!Number.isInteger(value)) return notType('integer');
      return (value as number) > 0
        ? undefined
        : `${py(value)} is less than or equal to the minimum of 0`;
    case 'physical_disks': {
      const ok =
        Array.isArray(value) &&
        (value.every((d) => typeof d === 'string') || (value.length >= 2 && value.every(isObject)));
      return ok ? undefined : `${py(value)} is not valid under any of the given schemas`;
    }
    default:
      return undefined;
  }
}

/**
 * Why a target RAID configuration is invalid, as Ironic's validate_configuration says it
 * ("RAID config validation error: ..."), with the field it is about; undefined when valid.
 */
export function targetRaidConfigProblem(config: unknown): string | undefined {
  const error = (where: string, why: string) =>
    `RAID config validation error: ${where ? `${where}: ` : ''}${why}`;
  if (!isObject(config)) return error('', `${py(config)} is not of type 'object'`);
  const extra = Object.keys(config).filter((k) => k !== 'logical_disks');
  if (extra.length > 0) {
    return error(
      '',
      `Additional properties are not allowed (${extra.map(py).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`,
    );
  }
  const disks = config.logical_disks;
  if (disks === undefined) return error('', `'logical_disks' is a required property`);
  if (!Array.isArray(disks)) return error('logical_disks', `${py(disks)} is not of type 'array'`);
  if (disks.length === 0) return error('logical_disks', '[] should be non-empty');
  const known = Object.keys(LogicalDiskSchema.properties);
  for (const [i, disk] of disks.entries()) {
    const at = `logical_disks[${i}]`;
    if (!isObject(disk)) return error(at, `${py(disk)} is not of type 'object'`);
    for (const required of ['raid_level', 'size_gb']) {
      if (!(required in disk)) return error(at, `'${required}' is a required property`);
    }
    const unknown = Object.keys(disk).filter((k) => !known.includes(k));
    if (unknown.length > 0) {
      return error(
        at,
        `Additional properties are not allowed (${unknown.map(py).join(', ')} ${unknown.length > 1 ? 'were' : 'was'} unexpected)`,
      );
    }
    for (const [name, value] of Object.entries(disk)) {
      const problem = fieldProblem(name, value);
      if (problem) return error(`${at}.${name}`, problem);
    }
    if ('physical_disks' in disk && !('controller' in disk))
      return error(at, `'controller' is a dependency of 'physical_disks'`);
  }
  const roots = disks.filter((d) => isObject(d) && d.is_root_volume === true).length;
  if (roots > 1) {
    return `Raid config cannot have more than one root volume. ${roots} root volumes were specified`;
  }
  return undefined;
}

// --- What the power worker's RAID commands carry and answer.

/** A RAID controller (a Redfish Storage resource) and what it can build. */
export const RaidControllerSchema = Type.Object({
  /** @odata.id of the Storage resource. */
  path: Type.String(),
  /** Its Id, as Ironic names a controller (sushy's identity). */
  id: Type.String(),
  name: Type.String(),
  model: Type.Union([Type.String(), Type.Null()]),
  raid_types: Type.Array(Type.String()),
  /** The Ironic raid levels it supports. */
  raid_levels: Type.Array(Type.String()),
  /** Drive Ids. */
  drives: Type.Array(Type.String()),
});
export type RaidControllerReport = Static<typeof RaidControllerSchema>;

export const RaidDriveSchema = Type.Object({
  /** Drive Id, what physical_disks names. */
  id: Type.String(),
  path: Type.String(),
  name: Type.String(),
  capacity_bytes: Type.Number(),
  media_type: Type.Union([Type.String(), Type.Null()]),
  protocol: Type.Union([Type.String(), Type.Null()]),
  /** DurableNames (e.g. an NAA WWN). */
  identifiers: Type.Array(Type.String()),
  /** @odata.id of its controller. */
  controller: Type.String(),
  /** @odata.id of the volumes it belongs to. */
  volumes: Type.Array(Type.String()),
});
export type RaidDriveReport = Static<typeof RaidDriveSchema>;

export const RaidVolumeSchema = Type.Object({
  path: Type.String(),
  /** Its Id, as Ironic's raid_config names a volume. */
  id: Type.String(),
  name: Type.String(),
  raid_type: Type.Union([Type.String(), Type.Null()]),
  raid_level: Type.Union([Type.String(), Type.Null()]),
  capacity_bytes: Type.Number(),
  size_gb: Type.Integer(),
  /** Member drive Ids. */
  physical_disks: Type.Array(Type.String()),
  /** @odata.id of its controller. */
  controller: Type.String(),
  /** DurableNames the BMC gives it (an NAA WWN: what the OS sees as the disk's WWN). */
  identifiers: Type.Array(Type.String()),
});
export type RaidVolumeReport = Static<typeof RaidVolumeSchema>;

/** Answer of bmc.raid_read: the node's RAID controllers, their drives and volumes. */
export const RaidInventorySchema = Type.Object({
  controllers: Type.Array(RaidControllerSchema),
  drives: Type.Array(RaidDriveSchema),
  volumes: Type.Array(RaidVolumeSchema),
});
export type RaidInventory = Static<typeof RaidInventorySchema>;

/** bmc.raid_create's payload: the logical disks to create (a node's target, filtered). */
export const RaidCreatePayloadSchema = Type.Object({
  logical_disks: Type.Array(LogicalDiskSchema, { minItems: 1 }),
});

/** A logical disk as bmc.raid_create created it: size and drives resolved. */
export const CreatedLogicalDiskSchema = Type.Object({
  raid_level: Type.String(),
  size_gb: Type.Integer(),
  is_root_volume: Type.Optional(Type.Boolean()),
  volume_name: Type.Optional(Type.String()),
  physical_disks: Type.Array(Type.String()),
  /** @odata.id of the controller. */
  controller: Type.String(),
  /** @odata.id of the volume when the BMC created it at once; null when it waits for a boot. */
  volume: Type.Union([Type.String(), Type.Null()]),
  /** The BMC's task when the volume waits for the next boot. */
  task: Type.Union([Type.String(), Type.Null()]),
});
export type CreatedLogicalDiskReport = Static<typeof CreatedLogicalDiskSchema>;
