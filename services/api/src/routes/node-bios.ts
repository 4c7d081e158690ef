import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireEndpoint, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../errors.js';
import type { FastifyRequest } from 'fastify';
import { biosSettingsOf, type BiosSettingRow } from '@ingot/store';
import { BooleanQuery, parseBool } from '../listing.js';
import { links } from '../node-view.js';
import { loadNode, NodeIdent } from './nodes.js';

/** The fields a BIOS setting has from API 1.74 (Ironic's bios schema). */
const BIOS_SETTING_FIELDS = [
  'allowable_values',
  'attribute_type',
  'created_at',
  'links',
  'lower_bound',
  'max_length',
  'min_length',
  'name',
  'node_uuid',
  'read_only',
  'reset_required',
  'unique',
  'updated_at',
  'upper_bound',
  'value',
];

const BiosListQuery = Type.Object({
  fields: Type.Optional(Type.String({ description: 'comma-separated field names (API 1.74)' })),
  detail: Type.Optional(BooleanQuery),
});
const SettingParams = Type.Object({
  node_ident: Type.String({ minLength: 1, maxLength: 255 }),
  setting_name: Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9._~-]+$' }),
});
const BiosList = Type.Object({
  bios: Type.Array(Type.Record(Type.String(), Type.Unknown())),
});

/** The fields of a setting without detail (Ironic's _DEFAULT_RETURN_FIELDS). */
const DEFAULT_FIELDS = ['name', 'value'];
/** With detail, or in a single setting from 1.74 (Ironic's _DEFAULT_FIELDS_WITH_REGISTRY). */
const REGISTRY_FIELDS = [
  'name',
  'value',
  'attribute_type',
  'allowable_values',
  'lower_bound',
  'max_length',
  'min_length',
  'read_only',
  'reset_required',
  'unique',
  'upper_bound',
];

/** One setting as Ironic's object_to_dict words it: the fields asked for, dates and links. */
function settingView(
  request: FastifyRequest,
  nodeIdent: string,
  row: BiosSettingRow,
  fields: readonly string[],
): Record<string, unknown> {
  const all: Record<string, unknown> = {
    name: row.name,
    value: row.value,
    attribute_type: row.attributeType,
    allowable_values: row.allowableValues,
    lower_bound: row.lowerBound,
    upper_bound: row.upperBound,
    min_length: row.minLength,
    max_length: row.maxLength,
    read_only: row.readOnly,
    reset_required: row.resetRequired,
    unique: row.unique,
    node_uuid: row.nodeUuid,
  };
  const view: Record<string, unknown> = {
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt?.toISOString() ?? null,
  };
  for (const field of fields) if (field in all) view[field] = all[field];
  view.links = links(request, `nodes/${nodeIdent}/bios/${encodeURIComponent(row.name)}`);
  return view;
}

/** Ironic's checks of the list's query: nothing before 1.74, then known fields or detail. */
function checkListQuery(minor: number, query: { fields?: string; detail?: string }): void {
  const given = Object.keys(query).filter((k) => query[k as keyof typeof query] !== undefined);
  if (given.length > 0 && minor < V.BIOS_REGISTRY) {
    throw badRequest(
      `Invalid query parameter(s) ${given.join(', ')}: BIOS settings take fields and detail from API version 1.${V.BIOS_REGISTRY}.`,
    );
  }
  const fields = query.fields?.split(',').map((f) => f.trim()) ?? [];
  const unknown = fields.filter((f) => !BIOS_SETTING_FIELDS.includes(f));
  if (unknown.length > 0)
    throw badRequest(`Field(s) "${unknown.join(', ')}" are not valid for BIOS setting`);
  if (query.fields !== undefined && parseBool(query.detail) === true)
    throw badRequest('Can not specify ?detail=True and fields in the same request.');
}

/**
 * /v1/nodes/{node}/bios (API 1.40): the BIOS settings cached from the node's BIOS interface (the
 * conductor reads them when the node is managed and after each BIOS step). A node with no-bios has
 * none: an empty list, and every setting unknown, as Ironic answers for such a node.
 */
export function nodeBiosRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/nodes/:node_ident/bios',
      { schema: { params: NodeIdent, querystring: BiosListQuery, response: { 200: BiosList } } },
      async (request) => {
        requireEndpoint(request, V.BIOS_INTERFACE);
        checkListQuery(request.apiMinor, request.query);
        const node = await loadNode(deps, request, request.params.node_ident);
        const { fields, detail } = request.query;
        const shown =
          parseBool(detail) === true
            ? REGISTRY_FIELDS
            : fields !== undefined
              ? fields.split(',').map((f) => f.trim())
              : DEFAULT_FIELDS;
        const rows = await biosSettingsOf(deps.db, node.uuid);
        return {
          bios: rows.map((row) => settingView(request, request.params.node_ident, row, shown)),
        };
      },
    );

    app.get(
      '/v1/nodes/:node_ident/bios/:setting_name',
      { schema: { params: SettingParams, querystring: Type.Object({}) } },
      async (request) => {
        requireEndpoint(request, V.BIOS_INTERFACE);
        const node = await loadNode(deps, request, request.params.node_ident);
        const name = request.params.setting_name;
        const row = (await biosSettingsOf(deps.db, node.uuid)).find((r) => r.name === name);
        if (!row) throw notFound(`Node ${node.uuid} doesn't have a BIOS setting '${name}'`);
        const fields = request.apiMinor >= V.BIOS_REGISTRY ? REGISTRY_FIELDS : DEFAULT_FIELDS;
        return { [name]: settingView(request, node.uuid, row, fields) };
      },
    );
  };
}
