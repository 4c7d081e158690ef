import { randomUUID } from 'node:crypto';
import jsonPatch from 'fast-json-patch';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { and, eq, or, type SQL } from 'drizzle-orm';
import { parse, PortCreateSchema, ValidationError } from '@ingot/contracts';
import { isUniqueViolation, portClash } from '@ingot/node-commands';
import { findNode, isUuid, portgroups, ports } from '@ingot/store';
import { requireEndpoint, requireVersion, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../errors.js';
import { CREATION_ORDER, PageQueryFields, type SortColumn } from '../listing.js';
import { NodePatchSchema as JsonPatchSchema } from '../node-patch.js';
import { createPort } from '../node-commands.js';
import { PORT_BOOLEAN_FIELDS, readBooleans } from '../port-booleans.js';
import { listPage, type Collection } from '../resource-page.js';
import {
  checkResourceFields,
  normalizeMac,
  parseResourceFields,
  PORT_FIELD_VERSIONS,
  PORT_SUMMARY_FIELDS,
  portView,
  type PortRow,
} from '../port-view.js';
import { loadNode, NodeIdent } from './nodes.js';

const PortIdent = Type.Object({ port_id: Type.String({ minLength: 1, maxLength: 255 }) });
const PortgroupIdent = Type.Object({
  portgroup_ident: Type.String({ minLength: 1, maxLength: 255 }),
});
const PortListQuery = Type.Object({
  ...PageQueryFields,
  node: Type.Optional(Type.String({ description: 'UUID or name of a node' })),
  node_uuid: Type.Optional(Type.String()),
  address: Type.Optional(Type.String()),
  portgroup: Type.Optional(Type.String({ description: 'UUID or name of a port group (1.24)' })),
});
type PortListQueryT = Static<typeof PortListQuery>;
const ShowQuery = Type.Object({ fields: Type.Optional(Type.String()) });

const SORT_COLUMNS: Record<string, SortColumn> = {
  id: CREATION_ORDER,
  created_at: CREATION_ORDER,
  updated_at: { column: 'updated_at', kind: 'time' },
  uuid: { column: 'uuid', kind: 'plain' },
  address: { column: 'address', kind: 'plain' },
  name: { column: 'name', kind: 'text' },
  node_uuid: { column: 'node_uuid', kind: 'plain' },
  pxe_enabled: { column: 'pxe_enabled', kind: 'plain' },
  physical_network: { column: 'physical_network', kind: 'text' },
  is_smartnic: { column: 'is_smartnic', kind: 'plain' },
};

/** What PATCH may change (Ironic's PATCH_ALLOWED_FIELDS of ports, with name from 1.88). */
const WRITABLE = [
  'address',
  'name',
  'node_uuid',
  'portgroup_uuid',
  'local_link_connection',
  'pxe_enabled',
  'physical_network',
  'extra',
  'is_smartnic',
] as const;

/** A port group by uuid or name, or undefined. */
export async function findPortgroup(deps: ApiDeps, ident: string) {
  const [row] = await deps.db
    .select()
    .from(portgroups)
    .where(
      isUuid(ident)
        ? or(eq(portgroups.uuid, ident.toLowerCase()), eq(portgroups.name, ident))
        : eq(portgroups.name, ident),
    )
    .limit(1);
  return row;
}

/**
 * Ports of Ironic's /v1: list (all, of a node, of a port group; summary, detail or `fields`),
 * show, create, patch and delete. Inspection creates ports too; the agent is looked up by them.
 */
export function portRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    async function loadPort(request: FastifyRequest, ident: string): Promise<PortRow> {
      const byName = request.apiMinor >= V.PORT_NAME;
      if (!isUuid(ident) && !byName) throw notFound(`Port ${ident} could not be found.`);
      const [row] = await deps.db
        .select()
        .from(ports)
        .where(
          isUuid(ident)
            ? or(eq(ports.uuid, ident.toLowerCase()), eq(ports.name, ident))
            : eq(ports.name, ident),
        )
        .limit(1);
      if (!row) throw notFound(`Port ${ident} could not be found.`);
      return row;
    }

    const collection: Collection<PortRow> = {
      name: 'ports',
      kind: 'port',
      title: 'Port',
      fieldVersions: PORT_FIELD_VERSIONS,
      summaryFields: PORT_SUMMARY_FIELDS,
      sortColumns: SORT_COLUMNS,
      markerExists: async (uuid) =>
        isUuid(uuid) &&
        (await deps.db.select({ uuid: ports.uuid }).from(ports).where(eq(ports.uuid, uuid)))
          .length > 0,
      rows: (where, orderBy, limit) =>
        deps.db
          .select()
          .from(ports)
          .where(and(...where))
          .orderBy(...orderBy)
          .limit(limit),
      view: portView,
    };

    async function list(
      request: FastifyRequest,
      q: PortListQueryT,
      resource: string,
      parent: { nodeUuid?: string; portgroupUuid?: string } = {},
    ) {
      const where: SQL[] = [];
      let nodeUuid = parent.nodeUuid;
      if (nodeUuid === undefined && (q.node_uuid ?? q.node) !== undefined) {
        const ident = (q.node_uuid ?? q.node)!;
        nodeUuid = (await loadNode(deps, request, ident)).uuid;
      }
      let portgroupUuid = parent.portgroupUuid;
      if (portgroupUuid === undefined && q.portgroup !== undefined) {
        requireVersion(request, V.PORTGROUPS_SUBCONTROLLERS, "the 'portgroup' filter");
        const group = await findPortgroup(deps, q.portgroup);
        if (!group) throw notFound(`Portgroup ${q.portgroup} could not be found.`);
        portgroupUuid = group.uuid;
      }
      if (nodeUuid !== undefined) where.push(eq(ports.nodeUuid, nodeUuid));
      if (portgroupUuid !== undefined) where.push(eq(ports.portgroupUuid, portgroupUuid));
      if (q.address !== undefined) where.push(eq(ports.address, normalizeMac(q.address)));
      return listPage(request, collection, q, resource, where);
    }

    app.get('/v1/ports', { schema: { querystring: PortListQuery } }, (request) =>
      list(request, request.query, 'ports'),
    );
    app.get('/v1/ports/detail', { schema: { querystring: PortListQuery } }, (request) =>
      list(request, request.query, 'ports/detail'),
    );
    for (const suffix of ['', '/detail']) {
      app.get(
        `/v1/nodes/:node_ident/ports${suffix}`,
        { schema: { params: NodeIdent, querystring: PortListQuery } },
        async (request) => {
          const node = await loadNode(deps, request, request.params.node_ident);
          return list(request, request.query, `nodes/${node.uuid}/ports${suffix}`, {
            nodeUuid: node.uuid,
          });
        },
      );
      app.get(
        `/v1/portgroups/:portgroup_ident/ports${suffix}`,
        { schema: { params: PortgroupIdent, querystring: PortListQuery } },
        async (request) => {
          requireEndpoint(request, V.PORTGROUPS_SUBCONTROLLERS);
          const group = await findPortgroup(deps, request.params.portgroup_ident);
          if (!group)
            throw notFound(`Portgroup ${request.params.portgroup_ident} could not be found.`);
          return list(request, request.query, `portgroups/${group.uuid}/ports${suffix}`, {
            portgroupUuid: group.uuid,
          });
        },
      );
    }

    app.get(
      '/v1/ports/:port_id',
      { schema: { params: PortIdent, querystring: ShowQuery } },
      async (request) => {
        const fields = parseResourceFields(
          request,
          PORT_FIELD_VERSIONS,
          request.query.fields,
          'port',
        );
        return portView(request, await loadPort(request, request.params.port_id), fields);
      },
    );

    app.post('/v1/ports', { schema: { body: PortCreateSchema } }, async (request, reply) => {
      const body = readBooleans(request.body, PORT_BOOLEAN_FIELDS);
      checkResourceFields(
        request,
        PORT_FIELD_VERSIONS,
        Object.keys(body).filter((k) => k !== 'uuid' && body[k as keyof typeof body] != null),
        'port',
      );
      const nodeUuid = await portNode(request, body.node_uuid);
      await checkPortgroup(body.portgroup_uuid ?? null, nodeUuid);
      const values = {
        uuid: body.uuid?.toLowerCase() ?? randomUUID(),
        nodeUuid,
        address: normalizeMac(body.address),
        name: body.name ?? null,
        portgroupUuid: body.portgroup_uuid?.toLowerCase() ?? null,
        localLinkConnection: body.local_link_connection ?? {},
        pxeEnabled: body.pxe_enabled ?? true,
        physicalNetwork: body.physical_network ?? null,
        isSmartnic: body.is_smartnic ?? false,
        extra: body.extra ?? {},
      };
      const row = await createPort(deps, values);
      reply.header('Location', `${request.protocol}://${request.host}/v1/ports/${row.uuid}`);
      return reply.status(201).send(portView(request, row));
    });

    app.patch(
      '/v1/ports/:port_id',
      { schema: { params: PortIdent, body: JsonPatchSchema } },
      async (request) => {
        const port = await loadPort(request, request.params.port_id);
        const touched = new Set<string>();
        for (const op of request.body) {
          const field = op.path.split('/')[1] ?? '';
          if (!(WRITABLE as readonly string[]).includes(field)) {
            throw badRequest(
              `Cannot patch ${op.path}. Only the following can be updated: ${WRITABLE.join(', ')}`,
            );
          }
          if (op.op !== 'remove' && op.op !== 'test') touched.add(field);
        }
        checkResourceFields(request, PORT_FIELD_VERSIONS, touched, 'port');
        const current = {
          address: port.address,
          name: port.name,
          node_uuid: port.nodeUuid,
          portgroup_uuid: port.portgroupUuid,
          local_link_connection: port.localLinkConnection,
          pxe_enabled: port.pxeEnabled,
          physical_network: port.physicalNetwork,
          extra: port.extra,
          is_smartnic: port.isSmartnic,
        };
        const next = readBooleans(applyPatch(current, request.body), PORT_BOOLEAN_FIELDS);
        try {
          parse(PortCreateSchema, stripNulls(next), 'port');
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          throw badRequest(
            `Invalid patch: ${error.errors.map((e) => `field '${e.path.slice(1).replace(/\//g, '.')}' ${e.message.toLowerCase()}`).join('; ')}`,
          );
        }
        const nodeUuid =
          next.node_uuid === port.nodeUuid
            ? port.nodeUuid
            : await portNode(request, String(next.node_uuid));
        const portgroupUuid = (next.portgroup_uuid as string | null)?.toLowerCase() ?? null;
        await checkPortgroup(portgroupUuid, nodeUuid);
        const values = {
          address: normalizeMac(String(next.address)),
          name: (next.name as string | null) ?? null,
          nodeUuid,
          portgroupUuid,
          localLinkConnection: (next.local_link_connection as Record<string, unknown>) ?? {},
          pxeEnabled: (next.pxe_enabled as boolean | null) ?? true,
          physicalNetwork: (next.physical_network as string | null) ?? null,
          extra: (next.extra as Record<string, unknown>) ?? {},
          isSmartnic: (next.is_smartnic as boolean | null) ?? false,
          updatedAt: new Date(),
        };
        const [row] = await deps.db
          .update(ports)
          .set(values)
          .where(eq(ports.uuid, port.uuid))
          .returning()
          .catch((error: unknown) => {
            throw isUniqueViolation(error) ? portClash({ ...values, uuid: port.uuid }) : error;
          });
        if (!row) throw notFound(`Port ${port.uuid} could not be found.`);
        return portView(request, row);
      },
    );

    app.delete('/v1/ports/:port_id', { schema: { params: PortIdent } }, async (request, reply) => {
      const port = await loadPort(request, request.params.port_id);
      await deps.db.delete(ports).where(eq(ports.uuid, port.uuid));
      return reply.status(204).send();
    });

    /**
     * The node a port is created on. Ironic takes a UUID (a name is a 400, which is what the
     * baremetal CLI gets for `port create --node <name>` at 1.78); from 1.94 a name as well.
     * An unknown node is the request's fault: 400.
     */
    async function portNode(request: FastifyRequest, ident: string): Promise<string> {
      if (!isUuid(ident) && request.apiMinor < V.PORT_NODE_NAME) {
        throw badRequest(
          `Expected a UUID for node_uuid, got '${ident}' (a node name is accepted from API version 1.${V.PORT_NODE_NAME}).`,
        );
      }
      const node = await findNode(deps.db, ident);
      if (!node) throw badRequest(`Node ${ident} could not be found.`);
      return node.uuid;
    }

    /** A port's group must exist and belong to the port's node. */
    async function checkPortgroup(portgroupUuid: string | null, nodeUuid: string): Promise<void> {
      if (portgroupUuid === null) return;
      const [group] = await deps.db
        .select({ nodeUuid: portgroups.nodeUuid })
        .from(portgroups)
        .where(eq(portgroups.uuid, portgroupUuid.toLowerCase()));
      if (!group) throw badRequest(`Portgroup ${portgroupUuid} could not be found.`);
      if (group.nodeUuid !== nodeUuid) {
        throw badRequest(
          `Port can not be added to portgroup ${portgroupUuid}: they belong to different nodes.`,
        );
      }
    }
  };
}

/** Applies a JSON Patch (RFC 6902) to a resource's writable view; 400 naming the failing op. */
export function applyPatch(
  current: Record<string, unknown>,
  patch: Static<typeof JsonPatchSchema>,
): Record<string, unknown> {
  try {
    return jsonPatch.applyPatch(
      structuredClone(current),
      patch as jsonPatch.Operation[],
      true,
      false,
    ).newDocument;
  } catch (error) {
    throw badRequest(`Invalid patch: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** A removed optional field reads as absent, as a create without it. */
export function stripNulls(doc: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== null && v !== undefined));
}
