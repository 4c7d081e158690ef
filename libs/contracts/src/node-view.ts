import { Type, type TSchema } from '@sinclair/typebox';
import { DRIVER_INTERFACES } from './hardware-types.js';

// Serializer-friendly building blocks: `type: [t, 'null']` rather than TypeBox's anyOf, which
// Fastify's serializer would check value by value at run time.
const nullable = (type: 'string' | 'boolean') =>
  Type.Unsafe<string | boolean | null>({ type: [type, 'null'] });
const text = Type.String();
const maybeText = nullable('string');
const flag = Type.Boolean();
const maybeFlag = nullable('boolean');
/** A free-form JSON object (driver_info, extra, ...): every key kept, whatever its value. */
const anyObject = Type.Object({}, { additionalProperties: true });
/** Ironic's self/bookmark links. */
export const LinksSchema = Type.Array(Type.Object({ href: text, rel: text }));

/**
 * Every field of a node as Ironic's API shows it, in Ironic's order. It is one source for the
 * API: the fields a node answer may carry, and the response schema Fastify serializes with.
 * Which of them an answer has depends on the version and `fields`; none is required.
 */
export const NODE_VIEW_FIELDS = {
  uuid: text,
  name: maybeText,
  instance_uuid: maybeText,
  instance_info: anyObject,
  driver: text,
  driver_info: anyObject,
  driver_internal_info: anyObject,
  properties: anyObject,
  extra: anyObject,
  chassis_uuid: maybeText,
  console_enabled: flag,
  last_error: maybeText,
  maintenance: flag,
  maintenance_reason: maybeText,
  fault: maybeText,
  power_state: maybeText,
  target_power_state: maybeText,
  // null for 'available' before 1.2.
  provision_state: maybeText,
  target_provision_state: maybeText,
  provision_updated_at: maybeText,
  reservation: maybeText,
  conductor: maybeText,
  conductor_group: text,
  inspection_started_at: maybeText,
  inspection_finished_at: maybeText,
  clean_step: anyObject,
  deploy_step: anyObject,
  service_step: anyObject,
  raid_config: anyObject,
  target_raid_config: anyObject,
  resource_class: maybeText,
  traits: Type.Array(text),
  automated_clean: maybeFlag,
  protected: flag,
  protected_reason: maybeText,
  owner: maybeText,
  lessee: maybeText,
  description: maybeText,
  allocation_uuid: maybeText,
  retired: flag,
  retired_reason: maybeText,
  network_data: anyObject,
  boot_mode: maybeText,
  secure_boot: maybeFlag,
  shard: maybeText,
  parent_node: maybeText,
  disable_power_off: flag,
  ...(Object.fromEntries(DRIVER_INTERFACES.map((i) => [`${i}_interface`, maybeText])) as Record<
    `${(typeof DRIVER_INTERFACES)[number]}_interface`,
    typeof maybeText
  >),
  created_at: text,
  updated_at: maybeText,
} satisfies Record<string, TSchema>;

export type NodeViewField = keyof typeof NODE_VIEW_FIELDS;

/**
 * A node answer: the fields above, each optional, and its links. Unknown keys are still written
 * (additionalProperties), so a field added to the view and forgotten here is not lost.
 */
export const NodeViewSchema = Type.Object(
  {
    ...Object.fromEntries(
      Object.entries(NODE_VIEW_FIELDS).map(([name, schema]) => [name, Type.Optional(schema)]),
    ),
    links: Type.Optional(LinksSchema),
    ports: Type.Optional(LinksSchema),
    states: Type.Optional(LinksSchema),
    portgroups: Type.Optional(LinksSchema),
  },
  { additionalProperties: true },
);

/** A page of GET /v1/nodes (and /detail): the nodes and, for a full page, the next one's URL. */
export const NodeListSchema = Type.Object({
  nodes: Type.Array(NodeViewSchema),
  next: Type.Optional(text),
});
