import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findNode, isUuid } from '@ingot/store';
import { requireEndpoint, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../errors.js';
import { BooleanQuery, pageLimit, PageQueryFields, parseBool } from '../listing.js';
import { links } from '../node-view.js';
import { NodePatchSchema as JsonPatchSchema } from '../node-patch.js';
import { loadNode, NodeIdent } from './nodes.js';

/** One kind of volume record: Ironic's volume connectors or volume targets. */
interface VolumeKind {
  /** The collection's name in URLs and answers. */
  collection: 'connectors' | 'targets';
  /** As Ironic's messages name one. */
  title: string;
  /** Its fields (Ironic's volume_connector/volume_target schemas). */
  fields: readonly string[];
  /** Fields Ironic refuses to sort by (invalid_sort_key_list); the others sort, and `id`. */
  unsortable: readonly string[];
  /** The path parameter naming one record, as Ironic names it. */
  param: 'connector_uuid' | 'target_uuid';
  /** The body of POST, as Ironic's create_request_body. */
  createBody: TSchema;
}

const NullableObject = Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]);
const UuidPattern = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const KINDS: readonly VolumeKind[] = [
  {
    collection: 'connectors',
    title: 'Volume connector',
    fields: [
      'connector_id',
      'created_at',
      'extra',
      'links',
      'node_uuid',
      'type',
      'updated_at',
      'uuid',
    ],
    unsortable: ['extra', 'links'],
    param: 'connector_uuid',
    createBody: Type.Object(
      {
        connector_id: Type.String(),
        node_uuid: Type.String(),
        type: Type.String({ description: 'iqn, ip, mac, wwnn or wwpn' }),
        extra: Type.Optional(NullableObject),
        uuid: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      },
      { additionalProperties: false },
    ),
  },
  {
    collection: 'targets',
    title: 'Volume target',
    fields: [
      'boot_index',
      'created_at',
      'extra',
      'links',
      'node_uuid',
      'properties',
      'updated_at',
      'uuid',
      'volume_id',
      'volume_type',
    ],
    unsortable: ['extra', 'properties', 'links'],
    param: 'target_uuid',
    createBody: Type.Object(
      {
        boot_index: Type.Integer(),
        node_uuid: Type.String(),
        volume_id: Type.String(),
        volume_type: Type.String(),
        extra: Type.Optional(NullableObject),
        properties: Type.Optional(NullableObject),
        uuid: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      },
      { additionalProperties: false },
    ),
  },
];

const ListQuery = Type.Object({
  ...PageQueryFields,
  node: Type.Optional(Type.String({ description: 'UUID or name of a node' })),
});
const ShowQuery = Type.Object({
  fields: Type.Optional(Type.String({ description: 'comma-separated field names' })),
  detail: Type.Optional(BooleanQuery),
});
const recordIdent = (param: VolumeKind['param']) =>
  Type.Object({
    [param]: Type.String({ pattern: UuidPattern, description: 'UUID of the record' }),
  });
const Links = Type.Array(Type.Object({ href: Type.String(), rel: Type.String() }));
const VolumeRoot = Type.Object({ links: Links, connectors: Links, targets: Links });

/** Ironic's checks of `fields` and `detail` on volume records. */
function checkFields(kind: VolumeKind, fields: string | undefined, detail: string | undefined) {
  const unknown = (fields?.split(',').map((f) => f.trim()) ?? []).filter(
    (f) => !kind.fields.includes(f),
  );
  if (unknown.length > 0)
    throw badRequest(`Field(s) "${unknown.join(', ')}" are not valid for ${kind.title}`);
  if (fields !== undefined && parseBool(detail) === true)
    throw badRequest("Can't fetch a subset of fields with 'detail' set");
}

/**
 * Volume connectors and targets (API 1.32), which Ironic keeps for boot from volume. Ingot has no
 * storage interface (every hardware type's is noop) and keeps no such records: lists are empty,
 * a record is never found, and creating one is refused saying so, rather than storing a record
 * nothing would use.
 */
export function volumeRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    /** The volume root's links, for /v1/volume or a node's volume. */
    const rootOf = (request: FastifyRequest, base: string) => ({
      links: links(request, `${base}/`),
      connectors: links(request, `${base}/connectors`),
      targets: links(request, `${base}/targets`),
    });

    app.get('/v1/volume', { schema: { response: { 200: VolumeRoot } } }, async (request) => {
      requireEndpoint(request, V.VOLUME);
      return rootOf(request, 'volume');
    });
    app.get(
      '/v1/nodes/:node_ident/volume',
      { schema: { params: NodeIdent, response: { 200: VolumeRoot } } },
      async (request) => {
        requireEndpoint(request, V.VOLUME);
        await loadNode(deps, request, request.params.node_ident);
        return rootOf(request, `nodes/${request.params.node_ident}/volume`);
      },
    );

    for (const kind of KINDS) {
      const { collection, title, param } = kind;
      const RecordIdent = recordIdent(param);
      /** The record a request names (its path parameter). */
      const recordOf = (request: FastifyRequest) =>
        (request.params as Record<string, string>)[param]!;
      const listResponse = {
        200: Type.Object({ [collection]: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
      };
      const absent = (uuid: string) => notFound(`${title} ${uuid} could not be found.`);

      /**
       * Checks a list request as Ironic does, then answers its (always empty) page. A parent
       * node (/v1/nodes/{node}/volume/...) takes the place of the `node` filter.
       */
      const list = async (
        request: FastifyRequest,
        query: typeof ListQuery.static,
        parentNode?: string,
      ) => {
        requireEndpoint(request, V.VOLUME);
        checkFields(kind, query.fields, query.detail);
        pageLimit(query.limit);
        const sortable = [...kind.fields.filter((f) => !kind.unsortable.includes(f)), 'id'];
        if (query.sort_key !== undefined && !sortable.includes(query.sort_key))
          throw badRequest(`The sort_key value ${query.sort_key} is an invalid field for sorting`);
        const node = parentNode ?? query.node;
        if (node !== undefined) await loadNode(deps, request, node);
        if (query.marker !== undefined) {
          if (!isUuid(query.marker))
            throw badRequest(`Expected a UUID for marker: ${query.marker}`);
          throw absent(query.marker);
        }
        return { [collection]: [] };
      };

      app.get(
        `/v1/volume/${collection}`,
        { schema: { querystring: ListQuery, response: listResponse } },
        (request) => list(request, request.query),
      );
      app.get(
        `/v1/nodes/:node_ident/volume/${collection}`,
        { schema: { params: NodeIdent, querystring: ListQuery, response: listResponse } },
        (request) => list(request, request.query, request.params.node_ident),
      );

      app.get(
        `/v1/volume/${collection}/:${param}`,
        { schema: { params: RecordIdent, querystring: ShowQuery } },
        async (request) => {
          requireEndpoint(request, V.VOLUME);
          checkFields(kind, request.query.fields, request.query.detail);
          throw absent(recordOf(request));
        },
      );

      app.post(
        `/v1/volume/${collection}`,
        { schema: { body: kind.createBody } },
        async (request) => {
          requireEndpoint(request, V.VOLUME);
          const { node_uuid: nodeUuid } = request.body as { node_uuid: string };
          if (!isUuid(nodeUuid)) throw badRequest(`Expected UUID for node_uuid: ${nodeUuid}`);
          if (!(await findNode(deps.db, nodeUuid)))
            throw badRequest(`Invalid value '${nodeUuid}' for node_uuid.`);
          throw badRequest(
            `Ingot keeps no volume ${collection}: it does not boot from volume (every node's storage_interface is noop), so a ${title.toLowerCase()} would never be used.`,
          );
        },
      );

      app.patch(
        `/v1/volume/${collection}/:${param}`,
        { schema: { params: RecordIdent, body: JsonPatchSchema } },
        async (request) => {
          requireEndpoint(request, V.VOLUME);
          throw absent(recordOf(request));
        },
      );

      app.delete(
        `/v1/volume/${collection}/:${param}`,
        { schema: { params: RecordIdent } },
        async (request) => {
          requireEndpoint(request, V.VOLUME);
          throw absent(recordOf(request));
        },
      );
    }
  };
}
