import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ConditionSchema } from './baremetalhost.js';
import { BIOS_ATTRIBUTE_TYPES } from './constants.js';
import { typeMetaProperties } from './object-meta.js';
import { StringEnum, Timestamp } from './schema-helpers.js';

// HostFirmwareSettings, FirmwareSchema and HostFirmwareComponents: Metal3's firmware resources,
// one of each settings/components object per BareMetalHost (same name and namespace).

/** A JSON object whose every property has the schema `value` (Go's map[string]T). */
const MapOf = <T extends TSchema>(value: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<Record<string, Static<T>>>({
    type: 'object',
    additionalProperties: value,
    ...options,
  });

/** intstr.IntOrString: a BIOS setting's desired value, a number or a string. */
export const IntOrStringSchema = Type.Unsafe<number | string>({
  anyOf: [{ type: 'integer' }, { type: 'string' }],
  'x-kubernetes-int-or-string': true,
});

/** Conditions as metav1.Condition lists are declared: a map keyed by type. */
const ConditionsSchema = (description: string) =>
  Type.Array(ConditionSchema, {
    'x-kubernetes-list-map-keys': ['type'],
    'x-kubernetes-list-type': 'map',
    description,
  });

/** What the BIOS registry says of one setting (Ironic's bios registry fields). */
export const SettingSchemaSchema = Type.Object(
  {
    attribute_type: Type.Optional(
      StringEnum(BIOS_ATTRIBUTE_TYPES, { description: 'The type of setting.' }),
    ),
    allowable_values: Type.Optional(
      Type.Array(Type.String(), { description: 'The values an Enumeration setting takes.' }),
    ),
    lower_bound: Type.Optional(Type.Integer({ description: 'Lowest value of an Integer.' })),
    upper_bound: Type.Optional(Type.Integer({ description: 'Highest value of an Integer.' })),
    min_length: Type.Optional(Type.Integer({ description: 'Shortest length of a String.' })),
    max_length: Type.Optional(Type.Integer({ description: 'Longest length of a String.' })),
    read_only: Type.Optional(Type.Boolean({ description: 'Whether the setting is read only.' })),
    unique: Type.Optional(
      Type.Boolean({ description: 'Whether the value is unique to this server, e.g. a serial.' }),
    ),
  },
  { description: 'Additional data describing the firmware setting.' },
);
export type SettingSchema = Static<typeof SettingSchemaSchema>;

export const FirmwareSchemaSpecSchema = Type.Object(
  {
    hardwareVendor: Type.Optional(Type.String({ description: 'Vendor of the hardware.' })),
    hardwareModel: Type.Optional(Type.String({ description: 'Model of the hardware.' })),
    schema: MapOf(SettingSchemaSchema, { description: 'Map of firmware name to schema.' }),
  },
  { description: 'The settings a firmware has and the values each takes.' },
);

export const FirmwareSchemaSchema = Type.Object(
  { ...typeMetaProperties, spec: Type.Optional(FirmwareSchemaSpecSchema) },
  { description: 'The schema of the firmware settings of one kind of server.' },
);
export type FirmwareSchema = Static<typeof FirmwareSchemaSchema>;

export const SchemaReferenceSchema = Type.Object(
  {
    namespace: Type.String({ description: 'Namespace of the FirmwareSchema.' }),
    name: Type.String({ description: 'Name of the FirmwareSchema.' }),
  },
  { description: 'The FirmwareSchema that describes each setting.' },
);

export const HostFirmwareSettingsSchema = Type.Object(
  {
    ...typeMetaProperties,
    spec: Type.Optional(
      Type.Object(
        {
          settings: MapOf(IntOrStringSchema, {
            description: 'The desired firmware settings, as name/value pairs.',
          }),
        },
        { description: 'The firmware settings the host should have.' },
      ),
    ),
    status: Type.Optional(
      Type.Object(
        {
          schema: Type.Optional(SchemaReferenceSchema),
          settings: MapOf(Type.String(), {
            description: 'The firmware settings the host has, as name/value pairs.',
          }),
          lastUpdated: Type.Optional(Timestamp({ description: 'When the status last changed.' })),
          conditions: Type.Optional(
            ConditionsSchema('Whether the spec differs from the status and is valid.'),
          ),
        },
        { description: 'The firmware settings the host has.' },
      ),
    ),
  },
  { description: 'The BIOS settings of the BareMetalHost of the same name and namespace.' },
);
export type HostFirmwareSettings = Static<typeof HostFirmwareSettingsSchema>;

export const FirmwareUpdateSchema = Type.Object({
  component: Type.String({ description: 'bios, bmc or nic:<id>.' }),
  url: Type.String({ description: 'Where to download the firmware image from.' }),
});
export type FirmwareUpdate = Static<typeof FirmwareUpdateSchema>;

export const FirmwareComponentStatusSchema = Type.Object({
  component: Type.String(),
  initialVersion: Type.String(),
  currentVersion: Type.Optional(Type.String()),
  lastVersionFlashed: Type.Optional(Type.String()),
  updatedAt: Type.Optional(Timestamp()),
});
export type FirmwareComponentStatus = Static<typeof FirmwareComponentStatusSchema>;

export const HostFirmwareComponentsSchema = Type.Object(
  {
    ...typeMetaProperties,
    spec: Type.Optional(
      Type.Object(
        {
          updates: Type.Array(FirmwareUpdateSchema, {
            description: 'The firmware images to flash, one per component.',
          }),
        },
        { description: 'The firmware updates the host should get.' },
      ),
    ),
    status: Type.Optional(
      Type.Object(
        {
          updates: Type.Optional(
            Type.Array(FirmwareUpdateSchema, { description: 'The updates last applied.' }),
          ),
          components: Type.Optional(
            Type.Array(FirmwareComponentStatusSchema, {
              description: 'The firmware components of the host and their versions.',
            }),
          ),
          lastUpdated: Type.Optional(Timestamp({ description: 'When the status last changed.' })),
          conditions: Type.Optional(
            ConditionsSchema('Whether the spec differs from the status and is valid.'),
          ),
        },
        { description: 'The firmware components the host has.' },
      ),
    ),
  },
  { description: 'The firmware components of the BareMetalHost of the same name and namespace.' },
);
export type HostFirmwareComponents = Static<typeof HostFirmwareComponentsSchema>;
