import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireEndpoint, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../errors.js';
import { BooleanQuery, parseBool } from '../listing.js';
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
 * /v1/nodes/{node}/bios (API 1.40): the BIOS settings Ironic caches from the node's BIOS
 * interface. Every Ingot hardware type has no-bios, whose cache stays empty, so the list is empty
 * and every setting is unknown, as Ironic answers for such a node.
 */
export function nodeBiosRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/nodes/:node_ident/bios',
      { schema: { params: NodeIdent, querystring: BiosListQuery, response: { 200: BiosList } } },
      async (request) => {
        requireEndpoint(request, V.BIOS_INTERFACE);
        checkListQuery(request.apiMinor, request.query);
        await loadNode(deps, request, request.params.node_ident);
        return { bios: [] };
      },
    );

    app.get(
      '/v1/nodes/:node_ident/bios/:setting_name',
      { schema: { params: SettingParams, querystring: Type.Object({}) } },
      async (request) => {
        requireEndpoint(request, V.BIOS_INTERFACE);
        const node = await loadNode(deps, request, request.params.node_ident);
        throw notFound(
          `Node ${node.uuid} doesn't have a BIOS setting '${request.params.setting_name}'`,
        );
      },
    );
  };
}
