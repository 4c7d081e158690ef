import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { and, eq, or, type SQL } from 'drizzle-orm';
import { ALLOCATION_STATES, AllocationCreateSchema, AllocationNameSchema } from '@ingot/contracts';
import {
  allocations,
  createAllocation,
  deleteAllocation,
  findNode,
  isUuid,
  type AllocationRow,
  type NodeRow,
} from '@ingot/store';
import { requireEndpoint, requireResource, requireVersion, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { CREATION_ORDER, PageQueryFields, type SortColumn } from '../listing.js';
import { NodePatchSchema as JsonPatchSchema } from '../node-patch.js';
import { links } from '../node-view.js';
import { checkResourceFields, parseResourceFields } from '../port-view.js';
import { listPage, type Collection } from '../resource-page.js';
import { checkPatched, pickFields, violatedConstraint } from '../resource-fields.js';
import { loadNode, NodeIdent } from './nodes.js';
import { applyPatch } from './ports.js';

const AllocationIdent = Type.Object({
  allocation_ident: Type.String({ minLength: 1, maxLength: 255 }),
});
const { detail: _detail, ...pageFields } = PageQueryFields;
const ListQuery = Type.Object({
  ...pageFields,
  node: Type.Optional(Type.String({ description: 'UUID or name of a node' })),
  resource_class: Type.Optional(Type.String()),
  state: Type.Optional(Type.String()),
  owner: Type.Optional(Type.String({ description: 'API 1.60' })),
});
type ListQueryT = Static<typeof ListQuery>;
const ShowQuery = Type.Object({ fields: Type.Optional(Type.String()) });

/** Every field of an allocation answer and the version that shows it. */
const FIELDS: Record<string, number> = {
  uuid: 0,
  name: 0,
  node_uuid: 0,
  state: 0,
  last_error: 0,
  resource_class: 0,
  traits: 0,
  candidate_nodes: 0,
  extra: 0,
  owner: V.ALLOCATION_OWNER,
  created_at: 0,
  updated_at: 0,
  links: 0,
};
const SORT_COLUMNS: Record<string, SortColumn> = {
  id: CREATION_ORDER,
  created_at: CREATION_ORDER,
  updated_at: { column: 'updated_at', kind: 'time' },
  uuid: { column: 'uuid', kind: 'plain' },
  name: { column: 'name', kind: 'text' },
  node_uuid: { column: 'node_uuid', kind: 'plain' },
  state: { column: 'state', kind: 'plain' },
  resource_class: { column: 'resource_class', kind: 'text' },
  last_error: { column: 'last_error', kind: 'text' },
  owner: { column: 'owner', kind: 'text' },
};
/** What PATCH may change (Ironic's PATCH_ALLOWED_FIELDS). */
const WRITABLE = ['name', 'extra'];

/** Provision states in which a node being worked on may still lose its allocation. */
const UPDATE_ALLOWED_STATES = new Set([
  'deploy failed',
  'inspecting',
  'inspect failed',
  'inspect wait',
  'clean failed',
  'error',
  'verifying',
  'adopt failed',
  'rescue failed',
  'unrescue failed',
  'service hold',
  'service failed',
]);

function allocationView(
  request: FastifyRequest,
  row: AllocationRow,
  fields?: readonly string[],
): Record<string, unknown> {
  const full: Record<string, unknown> = {
    uuid: row.uuid,
    name: row.name,
    node_uuid: row.nodeUuid,
    state: row.state,
    last_error: row.lastError,
    resource_class: row.resourceClass,
    traits: row.traits,
    candidate_nodes: row.candidateNodes,
    extra: row.extra,
    owner: row.owner,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt?.toISOString() ?? null,
    links: links(request, `allocations/${row.uuid}`),
  };
  if (request.apiMinor < V.ALLOCATION_OWNER) delete full.owner;
  return pickFields(full, fields);
}

/** Ironic's verify_node_for_deallocation, and its node lock (a conductor holding the node). */
function checkDeallocation(node: NodeRow, allocation: AllocationRow): void {
  if (node.leaseOwner && node.leaseExpiresAt && node.leaseExpiresAt > new Date()) {
    throw conflict(
      `Node ${node.uuid} is locked by host ${node.leaseOwner}, please retry after the current operation is completed.`,
    );
  }
  if (node.maintenance) return;
  if (node.targetProvisionState && !UPDATE_ALLOWED_STATES.has(node.provisionState)) {
    throw conflict(
      `Cannot remove allocation ${allocation.uuid} for node ${node.uuid}, because the node is in state ${node.provisionState} where updates are not allowed (and maintenance mode is off)`,
    );
  }
  if (node.provisionState === 'active') {
    throw conflict(
      `Cannot remove allocation ${allocation.uuid} for node ${node.uuid}, because the node is active (and maintenance mode is off)`,
    );
  }
}

const nameRe = new RegExp(AllocationNameSchema.pattern!);

/**
 * Allocations of Ironic's /v1 (API 1.52; PATCH 1.57; owner 1.60): create, list, show, patch,
 * delete, and a node's allocation. Ironic's conductor fills an allocation in the background;
 * Ingot's API fills it in the request's transaction (see createAllocation), so the answer to POST
 * is already `active` with its node, or `error` with the reason.
 */
export function allocationRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    async function findAllocation(ident: string): Promise<AllocationRow | undefined> {
      if (!isUuid(ident) && !nameRe.test(ident))
        throw badRequest(`Expected a logical name or UUID but received ${ident}.`);
      const [row] = await deps.db
        .select()
        .from(allocations)
        .where(
          isUuid(ident)
            ? or(eq(allocations.uuid, ident.toLowerCase()), eq(allocations.name, ident))
            : eq(allocations.name, ident),
        )
        .limit(1);
      return row;
    }
    async function loadAllocation(ident: string): Promise<AllocationRow> {
      const row = await findAllocation(ident);
      if (!row) throw notFound(`Allocation ${ident} could not be found.`);
      return row;
    }
    const nodeAllocation = async (node: NodeRow) =>
      (await deps.db.select().from(allocations).where(eq(allocations.nodeUuid, node.uuid)))[0];

    const collection: Collection<AllocationRow> = {
      name: 'allocations',
      kind: 'allocation',
      title: 'Allocation',
      fieldVersions: FIELDS,
      summaryFields: Object.keys(FIELDS),
      sortColumns: SORT_COLUMNS,
      markerExists: async (uuid) => isUuid(uuid) && (await findAllocation(uuid)) !== undefined,
      rows: (where, orderBy, limit) =>
        deps.db
          .select()
          .from(allocations)
          .where(and(...where))
          .orderBy(...orderBy)
          .limit(limit),
      view: allocationView,
    };

    app.get('/v1/allocations', { schema: { querystring: ListQuery } }, async (request) => {
      requireResource(request, V.ALLOCATIONS, 'allocations');
      const q: ListQueryT = request.query;
      const where: SQL[] = [];
      if (q.owner !== undefined) {
        requireVersion(request, V.ALLOCATION_OWNER, "the 'owner' filter");
        where.push(eq(allocations.owner, q.owner));
      }
      if (q.node !== undefined) {
        const node = await findNode(deps.db, q.node);
        if (!node) throw badRequest(`Node ${q.node} could not be found.`);
        where.push(eq(allocations.nodeUuid, node.uuid));
      }
      if (q.resource_class !== undefined)
        where.push(eq(allocations.resourceClass, q.resource_class));
      if (q.state !== undefined) {
        if (!(ALLOCATION_STATES as readonly string[]).includes(q.state))
          throw badRequest(
            `Invalid state '${q.state}' for the 'state' filter; use one of ${ALLOCATION_STATES.join(', ')}`,
          );
        where.push(eq(allocations.state, q.state));
      }
      return listPage(request, collection, q, 'allocations', where);
    });

    app.get(
      '/v1/allocations/:allocation_ident',
      { schema: { params: AllocationIdent, querystring: ShowQuery } },
      async (request) => {
        requireResource(request, V.ALLOCATIONS, 'allocations');
        const fields = parseResourceFields(request, FIELDS, request.query.fields, 'allocation');
        return allocationView(
          request,
          await loadAllocation(request.params.allocation_ident),
          fields,
        );
      },
    );

    app.post(
      '/v1/allocations',
      { schema: { body: AllocationCreateSchema } },
      async (request, reply) => {
        requireResource(request, V.ALLOCATIONS, 'allocations');
        const body = request.body;
        if (body.owner != null) checkResourceFields(request, FIELDS, ['owner'], 'allocation');
        if (!body.resource_class)
          throw badRequest('The resource_class field is mandatory when not backfilling');
        // Candidates by name or UUID, kept in the order given.
        const candidates: string[] = [];
        for (const ident of body.candidate_nodes ?? []) {
          const node = await findNode(deps.db, ident);
          if (!node) throw badRequest(`Node ${ident} could not be found.`);
          candidates.push(node.uuid);
        }
        const uuid = body.uuid?.toLowerCase() ?? randomUUID();
        const row = await createAllocation(deps.db, {
          uuid,
          name: body.name ?? null,
          resourceClass: body.resource_class,
          traits: [...new Set(body.traits ?? [])],
          candidateNodes: candidates,
          extra: body.extra ?? {},
          owner: body.owner ?? null,
        }).catch((error: unknown) => {
          const constraint = violatedConstraint(error);
          if (constraint === undefined) throw error;
          if (constraint.includes('name'))
            throw conflict(`An allocation with name ${body.name} already exists.`);
          throw conflict(`An allocation with UUID ${uuid} already exists.`);
        });
        reply.header(
          'Location',
          `${request.protocol}://${request.host}/v1/allocations/${row.uuid}`,
        );
        return reply.status(201).send(allocationView(request, row));
      },
    );

    app.patch(
      '/v1/allocations/:allocation_ident',
      { schema: { params: AllocationIdent, body: JsonPatchSchema } },
      async (request) => {
        requireResource(request, V.ALLOCATION_UPDATE, 'updating allocations');
        for (const op of request.body) {
          const field = op.path.split('/')[1] ?? '';
          if (!WRITABLE.includes(field)) {
            throw badRequest(
              `Cannot patch ${op.path}. Only the following can be updated: ${WRITABLE.join(', ')}`,
            );
          }
        }
        const current = await loadAllocation(request.params.allocation_ident);
        const patched = applyPatch({ name: current.name, extra: current.extra }, request.body);
        if (patched.extra === undefined || patched.extra === null) patched.extra = {};
        if (patched.name === undefined) patched.name = null;
        checkPatched(AllocationCreateSchema, patched, 'allocation');
        const name = patched.name as string | null;
        const [row] = await deps.db
          .update(allocations)
          .set({
            name,
            extra: patched.extra as Record<string, unknown>,
            updatedAt: new Date(),
          })
          .where(eq(allocations.uuid, current.uuid))
          .returning()
          .catch((error: unknown) => {
            if (violatedConstraint(error) === undefined) throw error;
            throw conflict(`An allocation with name ${name} already exists.`);
          });
        if (!row)
          throw notFound(`Allocation ${request.params.allocation_ident} could not be found.`);
        return allocationView(request, row);
      },
    );

    app.delete(
      '/v1/allocations/:allocation_ident',
      { schema: { params: AllocationIdent } },
      async (request, reply) => {
        requireResource(request, V.ALLOCATIONS, 'allocations');
        const allocation = await loadAllocation(request.params.allocation_ident);
        if (!(await deleteAllocation(deps.db, allocation.uuid, checkDeallocation)))
          throw notFound(`Allocation ${request.params.allocation_ident} could not be found.`);
        return reply.status(204).send();
      },
    );

    app.get(
      '/v1/nodes/:node_ident/allocation',
      { schema: { params: NodeIdent, querystring: ShowQuery } },
      async (request) => {
        requireEndpoint(request, V.ALLOCATIONS);
        const fields = parseResourceFields(request, FIELDS, request.query.fields, 'allocation');
        const node = await loadNode(deps, request, request.params.node_ident);
        const row = await nodeAllocation(node);
        if (!row) throw notFound(`Allocation for node ${request.params.node_ident} was not found`);
        return allocationView(request, row, fields);
      },
    );

    app.delete(
      '/v1/nodes/:node_ident/allocation',
      { schema: { params: NodeIdent } },
      async (request, reply) => {
        requireEndpoint(request, V.ALLOCATIONS);
        const node = await loadNode(deps, request, request.params.node_ident);
        const row = await nodeAllocation(node);
        if (!row || !(await deleteAllocation(deps.db, row.uuid, checkDeallocation)))
          throw notFound(`Allocation for node ${request.params.node_ident} was not found`);
        return reply.status(204).send();
      },
    );
  };
}
