import type { FastifyRequest } from 'fastify';
import { NODE_VIEW_FIELDS, type NodeViewField } from '@ingot/contracts';
import { notAcceptable, V } from './api-version.js';
import { badRequest } from './errors.js';

/**
 * The node fields introduced after 1.1 and the minor version that introduced each
 * (Ironic's api/controllers/v1/utils.py VERSIONED_FIELDS, plus service_step 1.87 and
 * disable_power_off 1.95). Below its version a field is absent from every answer, 406 when asked
 * for in `fields` or `sort_key`, and 406 when sent in a create or a patch.
 */
export const NODE_FIELD_VERSIONS: Readonly<Record<string, number>> = {
  driver_internal_info: 3,
  name: 5,
  inspection_started_at: 6,
  inspection_finished_at: 6,
  clean_step: 7,
  raid_config: 12,
  target_raid_config: 12,
  network_interface: 20,
  resource_class: 21,
  storage_interface: 33,
  traits: 37,
  rescue_interface: 38,
  bios_interface: 40,
  fault: 42,
  deploy_step: 44,
  conductor_group: 46,
  automated_clean: 47,
  protected: 48,
  protected_reason: 48,
  conductor: 49,
  owner: 50,
  description: 51,
  allocation_uuid: 52,
  retired: 61,
  retired_reason: 61,
  lessee: 65,
  network_data: 66,
  boot_mode: 75,
  secure_boot: 75,
  shard: 82,
  parent_node: 83,
  firmware_interface: 86,
  service_step: 87,
  disable_power_off: 95,
  // The dynamic interfaces of 1.31 (Ironic's V31_FIELDS).
  boot_interface: 31,
  console_interface: 31,
  deploy_interface: 31,
  inspect_interface: 31,
  management_interface: 31,
  power_interface: 31,
  raid_interface: 31,
  vendor_interface: 31,
};

/** Every field of a node answer (links aside), in Ironic's order of the node object. */
export const NODE_FIELDS = Object.keys(NODE_VIEW_FIELDS) as readonly NodeViewField[];

/** What GET /v1/nodes answers without `detail` or `fields` (Ironic's _DEFAULT_RETURN_FIELDS). */
export const NODE_SUMMARY_FIELDS = [
  'instance_uuid',
  'maintenance',
  'power_state',
  'provision_state',
  'uuid',
  'name',
];

export const fieldAllowed = (field: string, minor: number): boolean =>
  minor >= (NODE_FIELD_VERSIONS[field] ?? 0);

// The hardware type and interface checks are shared with the Kubernetes adapter.
export { chosenInterfaces, hardwareOf } from '@ingot/node-commands';
export { checkInterfaces } from './node-commands.js';

/**
 * Checks a `fields` query as Ironic does: 406 below 1.8 or for a field the version does not
 * have, 400 for a field nodes do not have. Returns the list, or undefined when absent.
 */
export function parseNodeFields(
  request: FastifyRequest,
  fields: string | undefined,
): string[] | undefined {
  if (fields === undefined) return undefined;
  if (request.apiMinor < V.FIELDS) {
    throw notAcceptable(
      `Request not acceptable: 'fields' needs API version 1.${V.FIELDS} or later; this request uses 1.${request.apiMinor}.`,
    );
  }
  const list = fields
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const unknown = list.filter((f) => !(NODE_FIELDS as readonly string[]).includes(f));
  if (unknown.length > 0) throw badRequest(`Field(s) "${unknown.join(', ')}" are not valid`);
  checkFieldsAllowed(request, list);
  return list;
}

/** 406 for a field newer than the request's version (Ironic's check_allowed_fields). */
export function checkFieldsAllowed(request: FastifyRequest, fields: Iterable<string>): void {
  for (const field of fields) {
    if (!fieldAllowed(field, request.apiMinor)) {
      throw notAcceptable(
        `Request not acceptable: field '${field}' needs API version 1.${NODE_FIELD_VERSIONS[field]} or later; this request uses 1.${request.apiMinor}.`,
      );
    }
  }
}

/**
 * Ironic's reject_fields_in_newer_versions: a create or patch that sets a field the request's
 * version does not have is refused with 406 (an empty value is let through, as Ironic does).
 */
export function rejectNewerFields(request: FastifyRequest, values: Record<string, unknown>): void {
  for (const [field, value] of Object.entries(values)) {
    if (value === undefined || value === null || (field === 'conductor_group' && value === ''))
      continue;
    checkFieldsAllowed(request, [field]);
  }
}
