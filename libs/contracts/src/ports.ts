import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const JsonObject = Type.Record(Type.String(), Type.Unknown());
const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

/**
 * A boolean field as Ironic types it (types.boolean): python-ironicclient's `port set
 * --pxe-disabled` sends the string "False". The API reads the string strictly (node-commands'
 * booleanFieldOf) and stores a real boolean.
 */
const BooleanLike = Type.Union([Type.Boolean(), Type.String()], {
  description: 'true or false; the strings "true", "False", "yes", "off", "1", "0"... also',
});

/** A MAC address as Ironic accepts it (any case, ':' or '-' separated); stored lower case. */
export const PortAddressSchema = Type.String({
  pattern: '^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$',
  description: 'MAC address, e.g. 52:54:00:aa:bb:01',
});

/** A port or port group name (API 1.88 for ports): a URL-safe word, as node names. */
export const PortNameSchema = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[A-Za-z0-9._~-]+$',
});

/** The switch port a NIC is cabled to (Ironic's LOCAL_LINK_CONN_SCHEMA, any of its forms). */
export const LocalLinkConnectionSchema = Type.Object(
  {
    port_id: Type.Optional(Type.String()),
    switch_id: Type.Optional(Type.String()),
    switch_info: Type.Optional(Type.String()),
    hostname: Type.Optional(Type.String()),
    network_type: Type.Optional(Type.Union([Type.Literal('managed'), Type.Literal('unmanaged')])),
  },
  { additionalProperties: false },
);

/** Body of POST /v1/ports. */
export const PortCreateSchema = Type.Object(
  {
    address: PortAddressSchema,
    node_uuid: Type.String({
      minLength: 1,
      description: 'UUID of the node (a node name is accepted from API 1.94)',
    }),
    uuid: Type.Optional(Uuid),
    name: Type.Optional(Nullable(PortNameSchema)),
    portgroup_uuid: Type.Optional(Nullable(Uuid)),
    local_link_connection: Type.Optional(Nullable(LocalLinkConnectionSchema)),
    pxe_enabled: Type.Optional(Nullable(BooleanLike)),
    physical_network: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    extra: Type.Optional(Nullable(JsonObject)),
    is_smartnic: Type.Optional(Nullable(BooleanLike)),
  },
  { additionalProperties: false },
);
export type PortCreate = Static<typeof PortCreateSchema>;

/** Port group modes (Linux bonding modes), as Ironic accepts them. */
export const PORTGROUP_MODES = [
  'balance-rr',
  'active-backup',
  'balance-xor',
  'broadcast',
  '802.3ad',
  'balance-tlb',
  'balance-alb',
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
] as const;

/** Body of POST /v1/portgroups. */
export const PortgroupCreateSchema = Type.Object(
  {
    node_uuid: Type.String({ minLength: 1, description: 'UUID or name of the node' }),
    address: Type.Optional(Nullable(PortAddressSchema)),
    name: Type.Optional(Nullable(PortNameSchema)),
    uuid: Type.Optional(Uuid),
    mode: Type.Optional(Nullable(Type.String({ enum: [...PORTGROUP_MODES] }))),
    properties: Type.Optional(Nullable(JsonObject)),
    standalone_ports_supported: Type.Optional(Nullable(BooleanLike)),
    extra: Type.Optional(Nullable(JsonObject)),
  },
  { additionalProperties: false },
);
export type PortgroupCreate = Static<typeof PortgroupCreateSchema>;
