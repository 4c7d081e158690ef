import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { firmwareComponentsOf, type FirmwareComponentRow } from '@ingot/store';
import { requireEndpoint, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { BooleanQuery, parseBool } from '../listing.js';
import { loadNode, NodeIdent } from './nodes.js';

/** The fields of a component without fields= (Ironic's _DEFAULT_RETURN_FIELDS). */
const DEFAULT_FIELDS = [
  'component',
  'initial_version',
  'current_version',
  'last_version_flashed',
] as const;
/** What a component says of its hardware, from API 1.114 (beyond Ingot's maximum version). */
const IDENTITY_FIELDS = ['vendor', 'model', 'serial_number'];
const DATE_FIELDS = ['created_at', 'updated_at'];

const FirmwareListQuery = Type.Object({
  fields: Type.Optional(Type.String({ description: 'comma-separated field names' })),
  detail: Type.Optional(BooleanQuery),
});
const FirmwareComponentView = Type.Object({
  component: Type.Optional(Type.String()),
  initial_version: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  current_version: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  last_version_flashed: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const FirmwareList = Type.Object({ firmware: Type.Array(FirmwareComponentView) });

/** Ironic's checks of fields= and detail (get_request_return_fields, schema index_request_query). */
function fieldsOf(query: { fields?: string; detail?: string }): readonly string[] {
  if (query.fields === undefined) return DEFAULT_FIELDS;
  if (parseBool(query.detail) === true)
    throw badRequest('Can not specify ?detail=True and fields in the same request.');
  const fields = query.fields.split(',').map((f) => f.trim());
  const identity = fields.filter((f) => IDENTITY_FIELDS.includes(f)).sort();
  if (identity.length > 0) {
    throw badRequest(
      `Fields ${identity.join(', ')} are not allowed in this API version. They require at least API version 1.114.`,
    );
  }
  const known: readonly string[] = [...DEFAULT_FIELDS, ...DATE_FIELDS];
  const unknown = fields.filter((f) => !known.includes(f));
  if (unknown.length > 0)
    throw badRequest(`Field(s) "${unknown.join(', ')}" are not valid for a firmware component`);
  return fields;
}

/** One component as Ironic's object_to_dict words it: created_at, updated_at, the fields asked. */
function componentView(row: FirmwareComponentRow, fields: readonly string[]) {
  const all: Record<string, string | null> = {
    component: row.component,
    initial_version: row.initialVersion,
    current_version: row.currentVersion,
    last_version_flashed: row.lastVersionFlashed,
  };
  const view: Record<string, string | null> = {
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt?.toISOString() ?? null,
  };
  for (const field of fields) if (field in all) view[field] = all[field]!;
  return view as { created_at: string; updated_at: string | null };
}

/**
 * GET /v1/nodes/{node}/firmware (API 1.86): the node's firmware components as the conductor read
 * them from its BMC when the node was managed and after each firmware update step. A node whose
 * firmware_interface is no-firmware has none: an empty list, as Ironic answers.
 */
export function nodeFirmwareRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/nodes/:node_ident/firmware',
      {
        schema: {
          params: NodeIdent,
          querystring: FirmwareListQuery,
          response: { 200: FirmwareList },
        },
      },
      async (request) => {
        requireEndpoint(request, V.FIRMWARE_INTERFACE);
        const fields = fieldsOf(request.query);
        const node = await loadNode(deps, request, request.params.node_ident);
        const rows = await firmwareComponentsOf(deps.db, node.uuid);
        return { firmware: rows.map((row) => componentView(row, fields)) };
      },
    );
  };
}
