import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { and, eq, type SQL } from 'drizzle-orm';
import { parse, PortgroupCreateSchema, ValidationError } from '@ingot/contracts';
import { findNode, isUuid, portgroups, ports } from '@ingot/store';
import { requireEndpoint, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, conflict, isUniqueViolation, notFound } from '../errors.js';
import { CREATION_ORDER, PageQueryFields, type SortColumn } from '../listing.js';
import { NodePatchSchema as JsonPatchSchema } from '../node-patch.js';
import { PORTGROUP_BOOLEAN_FIELDS, readBooleans } from '../port-booleans.js';
import { listPage, type Collection } from '../resource-page.js';
import {
  checkResourceFields,
  normalizeMac,
  parseResourceFields,
  PORTGROUP_FIELD_VERSIONS,
  PORTGROUP_SUMMARY_FIELDS,
  portgroupView,
  type PortgroupRow,
} from '../port-view.js';
import { loadNode, NodeIdent } from './nodes.js';
import { applyPatch, findPortgroup, stripNulls } from './ports.js';

const PortgroupIdent = Type.Object({
  portgroup_ident: Type.String({ minLength: 1, maxLength: 255 }),
});
const ListQuery = Type.Object({
  ...PageQueryFields,
  node: Type.Optional(Type.String({ description: 'UUID or name of a node' })),
  address: Type.Optional(Type.String()),
});
type ListQueryT = Static<typeof ListQuery>;
const ShowQuery = Type.Object({ fields: Type.Optional(Type.String()) });

const SORT_COLUMNS: Record<string, SortColumn> = {
  id: CREATION_ORDER,
  created_at: CREATION_ORDER,
  updated_at: { column: 'updated_at', kind: 'time' },
  uuid: { column: 'uuid', kind: 'plain' },
  name: { column: 'name', kind: 'text' },
  address: { column: 'address', kind: 'text' },
  node_uuid: { column: 'node_uuid', kind: 'plain' },
  mode: { column: 'mode', kind: 'plain' },
};

const WRITABLE = [
  'address',
  'name',
  'node_uuid',
  'mode',
  'properties',
  'standalone_ports_supported',
  'extra',
] as const;

/**
 * Port groups of Ironic's /v1 (API 1.23; mode and properties 1.26): list, show, create, patch,
 * delete, and a node's port groups. Ingot records them; it does not configure bonds on switches
 * (its network interface is `noop`, as Metal3's Ironic).
 */
export function portgroupRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    async function loadPortgroup(request: FastifyRequest, ident: string): Promise<PortgroupRow> {
      requireEndpoint(request, V.PORTGROUPS);
      const row = await findPortgroup(deps, ident);
      if (!row) throw notFound(`Portgroup ${ident} could not be found.`);
      return row;
    }

    const collection: Collection<PortgroupRow> = {
      name: 'portgroups',
      kind: 'portgroup',
      title: 'Portgroup',
      fieldVersions: PORTGROUP_FIELD_VERSIONS,
      summaryFields: PORTGROUP_SUMMARY_FIELDS,
      sortColumns: SORT_COLUMNS,
      markerExists: async (uuid) => isUuid(uuid) && (await findPortgroup(deps, uuid)) !== undefined,
      rows: (where, orderBy, limit) =>
        deps.db
          .select()
          .from(portgroups)
          .where(and(...where))
          .orderBy(...orderBy)
          .limit(limit),
      view: portgroupView,
    };

    async function list(
      request: FastifyRequest,
      q: ListQueryT,
      resource: string,
      parentNode?: string,
    ) {
      requireEndpoint(request, parentNode ? V.PORTGROUPS_SUBCONTROLLERS : V.PORTGROUPS);
      const where: SQL[] = [];
      const nodeUuid =
        parentNode ??
        (q.node !== undefined ? (await loadNode(deps, request, q.node)).uuid : undefined);
      if (nodeUuid !== undefined) where.push(eq(portgroups.nodeUuid, nodeUuid));
      if (q.address !== undefined) where.push(eq(portgroups.address, normalizeMac(q.address)));
      return listPage(request, collection, q, resource, where);
    }

    app.get('/v1/portgroups', { schema: { querystring: ListQuery } }, (request) =>
      list(request, request.query, 'portgroups'),
    );
    app.get('/v1/portgroups/detail', { schema: { querystring: ListQuery } }, (request) =>
      list(request, request.query, 'portgroups/detail'),
    );
    for (const suffix of ['', '/detail']) {
      app.get(
        `/v1/nodes/:node_ident/portgroups${suffix}`,
        { schema: { params: NodeIdent, querystring: ListQuery } },
        async (request) => {
          const node = await loadNode(deps, request, request.params.node_ident);
          return list(request, request.query, `nodes/${node.uuid}/portgroups${suffix}`, node.uuid);
        },
      );
    }

    app.get(
      '/v1/portgroups/:portgroup_ident',
      { schema: { params: PortgroupIdent, querystring: ShowQuery } },
      async (request) => {
        const group = await loadPortgroup(request, request.params.portgroup_ident);
        const fields = parseResourceFields(
          request,
          PORTGROUP_FIELD_VERSIONS,
          request.query.fields,
          'portgroup',
        );
        return portgroupView(request, group, fields);
      },
    );

    app.post(
      '/v1/portgroups',
      { schema: { body: PortgroupCreateSchema } },
      async (request, reply) => {
        requireEndpoint(request, V.PORTGROUPS);
        const body = readBooleans(request.body, PORTGROUP_BOOLEAN_FIELDS);
        checkResourceFields(
          request,
          PORTGROUP_FIELD_VERSIONS,
          Object.keys(body).filter((k) => k !== 'uuid' && body[k as keyof typeof body] != null),
          'portgroup',
        );
        checkName(body.name ?? null);
        const nodeUuid = await groupNode(body.node_uuid);
        const values = {
          uuid: body.uuid?.toLowerCase() ?? randomUUID(),
          nodeUuid,
          name: body.name ?? null,
          address: body.address ? normalizeMac(body.address) : null,
          mode: body.mode ?? 'active-backup',
          properties: body.properties ?? {},
          standalonePortsSupported: body.standalone_ports_supported ?? true,
          extra: body.extra ?? {},
        };
        const [row] = await deps.db
          .insert(portgroups)
          .values(values)
          .returning()
          .catch((error: unknown) => {
            throw isUniqueViolation(error) ? groupClash(values) : error;
          });
        reply.header(
          'Location',
          `${request.protocol}://${request.host}/v1/portgroups/${row!.uuid}`,
        );
        return reply.status(201).send(portgroupView(request, row!));
      },
    );

    app.patch(
      '/v1/portgroups/:portgroup_ident',
      { schema: { params: PortgroupIdent, body: JsonPatchSchema } },
      async (request) => {
        const group = await loadPortgroup(request, request.params.portgroup_ident);
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
        checkResourceFields(request, PORTGROUP_FIELD_VERSIONS, touched, 'portgroup');
        const patched = applyPatch(
          {
            address: group.address,
            name: group.name,
            node_uuid: group.nodeUuid,
            mode: group.mode,
            properties: group.properties,
            standalone_ports_supported: group.standalonePortsSupported,
            extra: group.extra,
          },
          request.body,
        );
        const next = readBooleans(patched, PORTGROUP_BOOLEAN_FIELDS);
        try {
          parse(PortgroupCreateSchema, stripNulls(next), 'portgroup');
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          throw badRequest(
            `Invalid patch: ${error.errors.map((e) => `field '${e.path.slice(1).replace(/\//g, '.')}' ${e.message.toLowerCase()}`).join('; ')}`,
          );
        }
        checkName((next.name as string | null) ?? null);
        const nodeUuid =
          next.node_uuid === group.nodeUuid
            ? group.nodeUuid
            : await groupNode(String(next.node_uuid));
        if (nodeUuid !== group.nodeUuid) {
          const [member] = await deps.db
            .select({ uuid: ports.uuid })
            .from(ports)
            .where(eq(ports.portgroupUuid, group.uuid))
            .limit(1);
          if (member)
            throw badRequest(
              `Portgroup ${group.uuid} has ports; move them first to change its node.`,
            );
        }
        const values = {
          nodeUuid,
          name: (next.name as string | null) ?? null,
          address: next.address ? normalizeMac(String(next.address)) : null,
          mode: (next.mode as string | null) ?? 'active-backup',
          properties: (next.properties as Record<string, unknown>) ?? {},
          standalonePortsSupported: (next.standalone_ports_supported as boolean | null) ?? true,
          extra: (next.extra as Record<string, unknown>) ?? {},
          updatedAt: new Date(),
        };
        const [row] = await deps.db
          .update(portgroups)
          .set(values)
          .where(eq(portgroups.uuid, group.uuid))
          .returning()
          .catch((error: unknown) => {
            throw isUniqueViolation(error) ? groupClash({ ...values, uuid: group.uuid }) : error;
          });
        if (!row) throw notFound(`Portgroup ${group.uuid} could not be found.`);
        return portgroupView(request, row);
      },
    );

    app.delete(
      '/v1/portgroups/:portgroup_ident',
      { schema: { params: PortgroupIdent } },
      async (request, reply) => {
        const group = await loadPortgroup(request, request.params.portgroup_ident);
        const [member] = await deps.db
          .select({ uuid: ports.uuid })
          .from(ports)
          .where(eq(ports.portgroupUuid, group.uuid))
          .limit(1);
        if (member) {
          throw badRequest(
            `Cannot complete the requested action because portgroup ${group.uuid} contains ports.`,
          );
        }
        await deps.db.delete(portgroups).where(eq(portgroups.uuid, group.uuid));
        return reply.status(204).send();
      },
    );

    /** The node of a port group: its UUID (or name); unknown is the request's fault (400). */
    async function groupNode(ident: string): Promise<string> {
      const node = await findNode(deps.db, ident);
      if (!node) throw badRequest(`Node ${ident} could not be found.`);
      return node.uuid;
    }
  };
}

/** A port group name identifies it, so it may not look like a UUID. */
function checkName(name: string | null): void {
  if (name !== null && isUuid(name))
    throw badRequest(`Cannot use a UUID as a portgroup name: '${name}'.`);
}

function groupClash(values: { uuid: string; address: string | null; name: string | null }) {
  const what = [
    values.name ? `name ${values.name}` : undefined,
    values.address ? `MAC address ${values.address}` : undefined,
    `UUID ${values.uuid}`,
  ].filter(Boolean);
  return conflict(`A portgroup with ${what.join(' or ')} already exists.`);
}
