import {
  Type,
  type Static,
  type TNull,
  type TOptional,
  type TSchema,
  type TString,
  type TUnion,
} from '@sinclair/typebox';
import { DriverNameSchema } from './driver-info.js';
import { DRIVER_INTERFACES } from './hardware-types.js';
import {
  BootDeviceSchema,
  PowerStateSchema,
  PowerTargetSchema,
  ProvisionStateSchema,
} from './states.js';

const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});
const JsonObject = Type.Record(Type.String(), Type.Unknown());
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/**
 * A site is Ironic's conductor_group. It becomes a NATS subject token, so it is limited to
 * letters, digits, '_' and '-' (Ironic also allows '.', which would split a subject).
 */
export const ConductorGroupSchema = Type.String({ maxLength: 255, pattern: '^[a-zA-Z0-9_-]*$' });

/** A node name as Ironic allows it: a host name or a URL-safe word. */
export const NodeNameSchema = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[A-Za-z0-9._~-]+$',
});

/** A shard (API 1.82): a label that splits the fleet between clients that each watch one. */
export const ShardSchema = Type.String({ minLength: 1, maxLength: 255 });

/**
 * Ironic's automated_clean (API 1.47): a boolean, or a string oslo reads as one ('true', 'off', ...,
 * read by node-commands' automatedCleanOf); null leaves cleaning to the conductor's setting.
 */
export const AutomatedCleanSchema = Nullable(Type.Union([Type.Boolean(), Type.String()]));

/**
 * `<interface>_interface` fields a client may send (Metal3 sends them on every node): accepted
 * when they name what the node's hardware type implements (see hardware-types.ts).
 */
export const NodeInterfaceFields = Object.fromEntries(
  DRIVER_INTERFACES.map((i) => [`${i}_interface`, Type.Optional(Nullable(Type.String()))]),
) as unknown as Record<
  `${(typeof DRIVER_INTERFACES)[number]}_interface`,
  TOptional<TUnion<[TString, TNull]>>
>;

/** Body of POST /v1/nodes. */
export const NodeCreateSchema = Type.Object(
  {
    uuid: Type.Optional(Uuid),
    name: Type.Optional(Nullable(NodeNameSchema)),
    driver: DriverNameSchema,
    driver_info: Type.Optional(JsonObject),
    properties: Type.Optional(JsonObject),
    instance_info: Type.Optional(JsonObject),
    extra: Type.Optional(JsonObject),
    conductor_group: Type.Optional(ConductorGroupSchema),
    resource_class: Type.Optional(Nullable(Type.String({ maxLength: 80 }))),
    description: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
    owner: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
    lessee: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
    boot_mode: Type.Optional(Nullable(Type.Union([Type.Literal('uefi'), Type.Literal('bios')]))),
    shard: Type.Optional(Nullable(ShardSchema)),
    automated_clean: Type.Optional(AutomatedCleanSchema),
    /** The chassis the node is in; an unknown chassis is refused. */
    chassis_uuid: Type.Optional(Nullable(Uuid)),
    ...NodeInterfaceFields,
  },
  { additionalProperties: false },
);
export type NodeCreate = Static<typeof NodeCreateSchema>;

/** A node as the API shows it (secrets masked). */
export const NodeSchema = Type.Object({
  uuid: Uuid,
  name: Nullable(Type.String()),
  driver: Type.String(),
  driver_info: JsonObject,
  properties: JsonObject,
  instance_info: JsonObject,
  driver_internal_info: JsonObject,
  extra: JsonObject,
  conductor_group: Type.String(),
  resource_class: Nullable(Type.String()),
  description: Nullable(Type.String()),
  owner: Nullable(Type.String()),
  lessee: Nullable(Type.String()),
  provision_state: ProvisionStateSchema,
  target_provision_state: Nullable(ProvisionStateSchema),
  provision_updated_at: Nullable(Type.String()),
  power_state: Nullable(PowerStateSchema),
  target_power_state: Nullable(PowerTargetSchema),
  last_error: Nullable(Type.String()),
  maintenance: Type.Boolean(),
  maintenance_reason: Nullable(Type.String()),
  reservation: Nullable(Type.String()),
  boot_mode: Nullable(Type.String()),
  automated_clean: Nullable(Type.Boolean()),
  secure_boot: Nullable(Type.Boolean()),
  traits: Type.Array(Type.String()),
  shard: Nullable(Type.String()),
  created_at: Type.String(),
  updated_at: Nullable(Type.String()),
});
export type Node = Static<typeof NodeSchema>;

/** Body of PUT /v1/nodes/{id}/states/provision. */
export const ProvisionRequestSchema = Type.Object(
  {
    target: Type.String({ minLength: 1 }),
    clean_steps: Type.Optional(Type.Array(JsonObject)),
    deploy_steps: Type.Optional(Type.Array(JsonObject)),
    service_steps: Type.Optional(Type.Array(JsonObject)),
    configdrive: Type.Optional(Type.Union([Type.String(), JsonObject])),
    rescue_password: Type.Optional(Type.String()),
    disable_ramdisk: Type.Optional(Type.Boolean()),
    runbook: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ProvisionRequest = Static<typeof ProvisionRequestSchema>;

/** Body of PUT /v1/nodes/{id}/states/power. */
export const PowerRequestSchema = Type.Object(
  {
    target: PowerTargetSchema,
    timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  },
  { additionalProperties: false },
);
export type PowerRequest = Static<typeof PowerRequestSchema>;

/** Body of PUT /v1/nodes/{id}/management/boot_device. */
export const BootDeviceRequestSchema = Type.Object(
  {
    boot_device: Type.String({ minLength: 1, description: 'pxe, disk, cdrom, bios or safe' }),
    persistent: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type BootDeviceRequest = Static<typeof BootDeviceRequestSchema>;

/**
 * Body of PUT /v1/nodes/{id}/states/boot_mode (1.76): `uefi` or `bios`, checked by the route so
 * that a wrong value is refused with Ironic's words.
 */
export const BootModeRequestSchema = Type.Object(
  { target: Type.String({ description: 'uefi or bios' }) },
  { additionalProperties: false },
);

/**
 * Body of PUT /v1/nodes/{id}/states/secure_boot (1.76): a boolean, or a string oslo reads as one
 * (Ironic's args.boolean), checked by the route.
 */
export const SecureBootRequestSchema = Type.Object(
  {
    // Not a union: the API's Ajv coerces types, and would read null as false (or false as null).
    target: Type.Unknown({ description: 'true or false (or a string such as "on" or "off")' }),
  },
  { additionalProperties: false },
);

/** Answer of GET /v1/nodes/{id}/management/boot_device; nulls when the BMC sets no override. */
export const BootDeviceAnswerSchema = Type.Object({
  boot_device: Nullable(BootDeviceSchema),
  persistent: Nullable(Type.Boolean()),
});

/** Body of PUT /v1/nodes/{id}/maintenance. */
export const MaintenanceRequestSchema = Type.Object(
  { reason: Type.Optional(Nullable(Type.String({ maxLength: 255 }))) },
  { additionalProperties: false },
);

/** Ironic's error body: {"error_message": "<json string of {faultstring, faultcode, debuginfo}>"}. */
export const ErrorBodySchema = Type.Object({ error_message: Type.String() });
