import type { FastifyRequest } from 'fastify';
import type { portgroups, ports } from '@ingot/store';
import { notAcceptable, V } from './api-version.js';
import { badRequest } from './errors.js';
import { links } from './node-view.js';

export type PortRow = typeof ports.$inferSelect;
export type PortgroupRow = typeof portgroups.$inferSelect;

/** Port fields and the version that introduced each (Ironic's port.py hide_fields_in_newer_versions). */
export const PORT_FIELD_VERSIONS: Readonly<Record<string, number>> = {
  uuid: 1,
  address: 1,
  node_uuid: 1,
  extra: 1,
  created_at: 1,
  updated_at: 1,
  internal_info: V.PORT_INTERNAL_INFO,
  local_link_connection: V.PORT_ADVANCED_NET_FIELDS,
  pxe_enabled: V.PORT_ADVANCED_NET_FIELDS,
  portgroup_uuid: V.PORTGROUPS_SUBCONTROLLERS,
  physical_network: V.PORT_PHYSICAL_NETWORK,
  is_smartnic: V.PORT_SMARTNIC,
  name: V.PORT_NAME,
};
export const PORT_SUMMARY_FIELDS = ['uuid', 'address'];

/** Port group fields (portgroups exist from 1.23; mode and properties from 1.26). */
export const PORTGROUP_FIELD_VERSIONS: Readonly<Record<string, number>> = {
  uuid: V.PORTGROUPS,
  name: V.PORTGROUPS,
  address: V.PORTGROUPS,
  node_uuid: V.PORTGROUPS,
  standalone_ports_supported: V.PORTGROUPS,
  internal_info: V.PORTGROUPS,
  extra: V.PORTGROUPS,
  created_at: V.PORTGROUPS,
  updated_at: V.PORTGROUPS,
  mode: V.PORTGROUP_MODE_PROPERTIES,
  properties: V.PORTGROUP_MODE_PROPERTIES,
};
export const PORTGROUP_SUMMARY_FIELDS = ['uuid', 'address', 'name'];

/**
 * Checks a `fields` list (or the fields a create or patch sets) against a resource's table:
 * 400 for an unknown field, 406 for one newer than the request's version.
 */
export function checkResourceFields(
  request: FastifyRequest,
  table: Readonly<Record<string, number>>,
  fields: Iterable<string>,
  what: string,
): void {
  for (const field of fields) {
    const since = table[field];
    if (since === undefined) throw badRequest(`Field(s) "${field}" are not valid for ${what}`);
    if (request.apiMinor < since) {
      throw notAcceptable(
        `Request not acceptable: ${what} field '${field}' needs API version 1.${since} or later; this request uses 1.${request.apiMinor}.`,
      );
    }
  }
}

/** A `fields` query as a list, checked (`fields` itself exists from 1.8). */
export function parseResourceFields(
  request: FastifyRequest,
  table: Readonly<Record<string, number>>,
  fields: string | undefined,
  what: string,
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
  checkResourceFields(request, table, list, what);
  return list;
}

function pick(
  request: FastifyRequest,
  table: Readonly<Record<string, number>>,
  full: Record<string, unknown>,
  fields: readonly string[] | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields ?? Object.keys(full)) {
    if (field in full && request.apiMinor >= (table[field] ?? 0)) out[field] = full[field];
  }
  return out;
}

/** A port at the request's version (Ironic's port convert_with_links). */
export function portView(
  request: FastifyRequest,
  row: PortRow,
  fields?: readonly string[],
): Record<string, unknown> {
  const full = {
    uuid: row.uuid,
    address: row.address,
    node_uuid: row.nodeUuid,
    portgroup_uuid: row.portgroupUuid,
    name: row.name,
    local_link_connection: row.localLinkConnection,
    pxe_enabled: row.pxeEnabled,
    physical_network: row.physicalNetwork,
    internal_info: row.internalInfo,
    is_smartnic: row.isSmartnic,
    extra: row.extra,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt?.toISOString() ?? null,
  };
  return {
    ...pick(request, PORT_FIELD_VERSIONS, full, fields),
    links: links(request, `ports/${row.uuid}`),
  };
}

/** A port group at the request's version. */
export function portgroupView(
  request: FastifyRequest,
  row: PortgroupRow,
  fields?: readonly string[],
): Record<string, unknown> {
  const full = {
    uuid: row.uuid,
    name: row.name,
    address: row.address,
    node_uuid: row.nodeUuid,
    mode: row.mode,
    properties: row.properties,
    standalone_ports_supported: row.standalonePortsSupported,
    internal_info: row.internalInfo,
    extra: row.extra,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt?.toISOString() ?? null,
  };
  const out: Record<string, unknown> = {
    ...pick(request, PORTGROUP_FIELD_VERSIONS, full, fields),
    links: links(request, `portgroups/${row.uuid}`),
  };
  if (fields === undefined) out.ports = links(request, `portgroups/${row.uuid}/ports`);
  return out;
}

/** A MAC address as stored: lower case, ':' separated. */
export const normalizeMac = (mac: string): string => mac.toLowerCase().replace(/-/g, ':');
