import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { and, eq, ilike, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import {
  NodeCreateSchema,
  NodeListSchema,
  NodeViewSchema,
  PowerRequestSchema,
  PROVISION_STATES,
  PROVISION_VERBS,
  ProvisionRequestSchema,
  type ProvisionVerb,
} from '@ingot/contracts';
import {
  chassis,
  findNode,
  findNodeBatched,
  nodeFromColumns,
  isUuid,
  nodeHistoryOf,
  nodeInventory,
  nodes,
  type NodeRow,
} from '@ingot/store';
import { requireEndpoint, requireVersion, V } from '../api-version.js';
import { nodeListScope } from '../auth/redact.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../errors.js';
import {
  BooleanQuery,
  CREATION_ORDER,
  nextLink,
  PageQueryFields,
  pageLimit,
  pageOrder,
  parseBool,
  wantsDetail,
  type SortColumn,
} from '../listing.js';
import {
  awaitPickup,
  createNode,
  deleteNode,
  requestPower,
  requestProvision,
} from '../node-commands.js';
import {
  checkFieldsAllowed,
  NODE_SUMMARY_FIELDS,
  parseNodeFields,
  rejectNewerFields,
} from '../node-fields.js';
import { NodePatchSchema, updateNode } from '../node-patch.js';
import { legacyState, links, nodeView, nodeViews } from '../node-view.js';

export const NodeIdent = Type.Object({ node_ident: Type.String({ minLength: 1, maxLength: 255 }) });
const ChassisIdent = Type.Object({ chassis_uuid: Type.String({ minLength: 1, maxLength: 255 }) });

/** A chassis named by a node filter: a UUID (400 otherwise) of an existing chassis (404). */
async function checkChassis(deps: ApiDeps, ident: string): Promise<void> {
  if (!isUuid(ident)) throw badRequest(`Expected a UUID for chassis_uuid but received ${ident}.`);
  const [found] = await deps.db
    .select({ uuid: chassis.uuid })
    .from(chassis)
    .where(eq(chassis.uuid, ident.toLowerCase()))
    .limit(1);
  if (!found) throw notFound(`Chassis ${ident} could not be found.`);
}

/** Filters of GET /v1/nodes and /v1/nodes/detail, as Ironic's NodesController.get_all takes them. */
const ListQuery = Type.Object({
  ...PageQueryFields,
  provision_state: Type.Optional(Type.String()),
  driver: Type.Optional(Type.String()),
  conductor_group: Type.Optional(Type.String()),
  conductor: Type.Optional(Type.String()),
  maintenance: Type.Optional(BooleanQuery),
  associated: Type.Optional(BooleanQuery),
  retired: Type.Optional(BooleanQuery),
  instance_uuid: Type.Optional(Type.String()),
  resource_class: Type.Optional(Type.String()),
  fault: Type.Optional(Type.String()),
  owner: Type.Optional(Type.String()),
  lessee: Type.Optional(Type.String()),
  project: Type.Optional(Type.String()),
  description_contains: Type.Optional(Type.String()),
  shard: Type.Optional(Type.String({ description: 'comma-separated shards (API 1.82)' })),
  sharded: Type.Optional(BooleanQuery),
  include_children: Type.Optional(BooleanQuery),
  parent_node: Type.Optional(Type.String()),
  chassis_uuid: Type.Optional(Type.String()),
});
type ListQueryT = Static<typeof ListQuery>;
const ShowQuery = Type.Object({ fields: Type.Optional(Type.String()) });

/** The columns a node list sorts by (Ironic refuses the JSON ones, and so do we). */
const SORT_COLUMNS: Record<string, SortColumn> = {
  id: CREATION_ORDER,
  uuid: { column: 'uuid', kind: 'plain' },
  name: { column: 'name', kind: 'text' },
  created_at: CREATION_ORDER,
  updated_at: { column: 'updated_at', kind: 'time' },
  provision_updated_at: { column: 'provision_updated_at', kind: 'time' },
  provision_state: { column: 'provision_state', kind: 'plain' },
  target_provision_state: { column: 'target_provision_state', kind: 'text' },
  power_state: { column: 'power_state', kind: 'text' },
  target_power_state: { column: 'target_power_state', kind: 'text' },
  driver: { column: 'driver', kind: 'plain' },
  conductor_group: { column: 'conductor_group', kind: 'plain' },
  resource_class: { column: 'resource_class', kind: 'text' },
  owner: { column: 'owner', kind: 'text' },
  lessee: { column: 'lessee', kind: 'text' },
  description: { column: 'description', kind: 'text' },
  maintenance: { column: 'maintenance', kind: 'plain' },
  maintenance_reason: { column: 'maintenance_reason', kind: 'text' },
  last_error: { column: 'last_error', kind: 'text' },
  reservation: { column: 'lease_owner', kind: 'text' },
  boot_mode: { column: 'boot_mode', kind: 'text' },
  shard: { column: 'shard', kind: 'text' },
};
const UNSORTABLE = [
  'properties',
  'driver_info',
  'extra',
  'instance_info',
  'driver_internal_info',
  'clean_step',
  'deploy_step',
  'service_step',
  'raid_config',
  'target_raid_config',
  'traits',
  'network_data',
];

/** Verbs and the version that introduced each (Ironic's MIN_VERB_VERSIONS). */
const VERB_VERSIONS: Partial<Record<ProvisionVerb, number>> = {
  manage: 4,
  provide: 4,
  inspect: V.INSPECT_STATE,
  abort: V.ABORT_VERB,
  clean: V.MANUAL_CLEAN,
  adopt: V.ADOPT_VERB,
  rescue: V.RESCUE,
  unrescue: V.RESCUE,
  deploy: V.DEPLOY_UNDEPLOY_VERBS,
  undeploy: V.DEPLOY_UNDEPLOY_VERBS,
  unhold: V.UNHOLD_VERB,
  service: V.SERVICE_VERB,
};

/** Finds a node by uuid, or by name from API 1.5 (before, names did not exist). */
export async function loadNode(
  deps: ApiDeps,
  request: FastifyRequest,
  ident: string,
): Promise<NodeRow> {
  const node =
    isUuid(ident) || request.apiMinor >= V.NODE_NAME
      ? await findNodeBatched(deps.db, ident)
      : undefined;
  if (!node) throw notFound(`Node ${ident} could not be found.`);
  return node;
}

// Node answers are described by the contracts' node model (the OpenAPI document shows it) but
// written by JSON.stringify: with free-form objects in every node (driver_info, properties, ...)
// fast-json-stringify was 3.4 times slower on a 1000-node page (17 ms against 5), and it would
// coerce a value of the wrong type rather than write it.
const nodeResponse = { 200: NodeViewSchema };
const listResponse = { 200: NodeListSchema };
const serializerCompiler = () => (data: unknown) => JSON.stringify(data);

/** Node resources of Ironic's /v1: create, list, show, patch, delete, states, history, inventory. */
export function nodeRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/nodes',
      { schema: { body: NodeCreateSchema, response: { 201: NodeViewSchema } }, serializerCompiler },
      async (request, reply) => {
        const body = request.body;
        rejectNewerFields(request, body);
        const row = await createNode(deps, body);
        reply.header('Location', `${request.protocol}://${request.host}/v1/nodes/${row.uuid}`);
        return reply.status(201).send(nodeView(request, row));
      },
    );

    /** Ironic's version checks of the list filters: 406 for a filter the version does not have. */
    function checkListVersions(request: FastifyRequest, q: ListQueryT): void {
      const gated: [keyof ListQueryT, number][] = [
        ['provision_state', V.PROVISION_STATE_FILTER],
        ['driver', V.DRIVER_FILTER],
        ['resource_class', V.RESOURCE_CLASS],
        ['fault', V.FAULT],
        ['conductor_group', V.CONDUCTOR_GROUP],
        ['conductor', V.CONDUCTORS],
        ['owner', V.OWNER],
        ['description_contains', V.DESCRIPTION],
        ['lessee', V.LESSEE],
        ['shard', V.SHARD],
        ['sharded', V.SHARD],
        ['include_children', V.PARENT_NODE],
        ['parent_node', V.PARENT_NODE],
      ];
      for (const [param, minor] of gated) {
        if (q[param] !== undefined) requireVersion(request, minor, `the '${param}' filter`);
      }
      if (
        q.provision_state !== undefined &&
        !(PROVISION_STATES as readonly string[]).includes(q.provision_state)
      ) {
        throw badRequest(`Provision state "${q.provision_state}" is not valid`);
      }
    }

    /** The WHERE of a node list: the caller's scope (auth) and every filter given. */
    function listFilters(request: FastifyRequest, q: ListQueryT): SQL[] {
      const where: SQL[] = [];
      const scope = nodeListScope(request.principal);
      if (scope) where.push(scope);
      const instanceUuid = sql`(${nodes.instanceInfo} ->> 'instance_uuid')`;
      if (q.provision_state !== undefined)
        where.push(eq(nodes.provisionState, q.provision_state as NodeRow['provisionState']));
      if (q.driver !== undefined) where.push(eq(nodes.driver, q.driver));
      if (q.conductor_group !== undefined)
        where.push(eq(nodes.conductorGroup, q.conductor_group.toLowerCase()));
      if (q.conductor !== undefined) where.push(eq(nodes.leaseOwner, q.conductor));
      if (q.resource_class !== undefined) where.push(eq(nodes.resourceClass, q.resource_class));
      if (q.owner !== undefined) where.push(eq(nodes.owner, q.owner));
      if (q.lessee !== undefined) where.push(eq(nodes.lessee, q.lessee));
      if (q.project !== undefined)
        where.push(or(eq(nodes.owner, q.project), eq(nodes.lessee, q.project))!);
      if (q.description_contains !== undefined)
        where.push(ilike(nodes.description, `%${escapeLike(q.description_contains)}%`));
      const maintenance = parseBool(q.maintenance);
      if (maintenance !== undefined) where.push(eq(nodes.maintenance, maintenance));
      const associated = parseBool(q.associated);
      if (associated !== undefined)
        where.push(associated ? sql`${instanceUuid} is not null` : sql`${instanceUuid} is null`);
      if (q.instance_uuid !== undefined) where.push(sql`${instanceUuid} = ${q.instance_uuid}`);
      if (q.fault !== undefined) where.push(eq(nodes.fault, q.fault));
      // Ingot retires no node and has no child nodes: those filters match every node
      // when they ask for none, and nothing otherwise.
      if (parseBool(q.retired) === true) where.push(sql`false`);
      if (q.chassis_uuid !== undefined) where.push(eq(nodes.chassisUuid, q.chassis_uuid));
      if (q.parent_node !== undefined) where.push(sql`false`);
      if (q.shard !== undefined) {
        const shards = q.shard.split(',').map((s) => s.trim());
        where.push(or(...shards.map((s) => eq(nodes.shard, s)))!);
      }
      const sharded = parseBool(q.sharded);
      if (sharded !== undefined) where.push(sharded ? isNotNull(nodes.shard) : isNull(nodes.shard));
      return where;
    }

    async function list(request: FastifyRequest, q: ListQueryT, resource: string) {
      const detailPath = resource.endsWith('nodes/detail');
      if (q.chassis_uuid !== undefined) await checkChassis(deps, q.chassis_uuid);
      if (detailPath && (q.fields !== undefined || q.detail !== undefined)) {
        throw badRequest(
          `Invalid query parameter ?${q.fields !== undefined ? 'fields' : 'detail'} on /v1/nodes/detail.`,
        );
      }
      const fields = parseNodeFields(request, q.fields);
      const detail = detailPath || wantsDetail(request, q.detail, q.fields);
      checkListVersions(request, q);
      const limit = pageLimit(q.limit);
      const sortKey = q.sort_key ?? 'id';
      if (UNSORTABLE.includes(sortKey))
        throw badRequest(`The sort_key value ${sortKey} is an invalid field for sorting`);
      const sort = Object.hasOwn(SORT_COLUMNS, sortKey) ? SORT_COLUMNS[sortKey] : undefined;
      if (!sort) throw badRequest(`The sort_key value ${sortKey} is an invalid field for sorting`);
      if (sortKey !== 'id') checkFieldsAllowed(request, [sortKey]);
      let marker: string | undefined;
      if (q.marker !== undefined) {
        const found = isUuid(q.marker) ? await findNode(deps.db, q.marker) : undefined;
        if (!found) throw notFound(`Node ${q.marker} could not be found.`);
        marker = found.uuid;
      }
      const page = pageOrder('nodes', sort, q.sort_dir ?? 'asc', marker);
      const where = listFilters(request, q);
      if (page.after) where.push(page.after);
      // Built by drizzle, run and mapped without it: its row mapping was a quarter of a
      // 1000-node page's time.
      const query = deps.db
        .select()
        .from(nodes)
        .where(and(...where))
        .orderBy(...page.orderBy)
        .limit(limit)
        .toSQL();
      const { rows: raw } = await deps.db.$client.query<Record<string, unknown>>(
        query.sql,
        query.params,
      );
      const rows = raw.map(nodeFromColumns);
      const shown = detail ? undefined : (fields ?? NODE_SUMMARY_FIELDS);
      const body: { nodes: Record<string, unknown>[]; next?: string } = {
        nodes: nodeViews(request, rows, shown),
      };
      // An instance_uuid matches one node at most: no next page (as Ironic).
      const next =
        q.instance_uuid === undefined
          ? nextLink(request, resource, rows.length, limit, rows.at(-1)?.uuid)
          : undefined;
      if (next) body.next = next;
      return body;
    }

    app.get(
      '/v1/nodes',
      { schema: { querystring: ListQuery, response: listResponse }, serializerCompiler },
      (request) => list(request, request.query, 'nodes'),
    );
    app.get(
      '/v1/nodes/detail',
      { schema: { querystring: ListQuery, response: listResponse }, serializerCompiler },
      (request) => list(request, request.query, 'nodes/detail'),
    );

    // A chassis' nodes (Ironic's ChassisController.nodes): the node list of that chassis.
    const ChassisNodesQuery = Type.Omit(ListQuery, ['chassis_uuid']);
    for (const suffix of ['', '/detail']) {
      app.get(
        `/v1/chassis/:chassis_uuid/nodes${suffix}`,
        {
          schema: { params: ChassisIdent, querystring: ChassisNodesQuery, response: listResponse },
          serializerCompiler,
        },
        (request) => {
          const chassisUuid = request.params.chassis_uuid.toLowerCase();
          return list(
            request,
            { ...request.query, chassis_uuid: chassisUuid },
            `chassis/${chassisUuid}/nodes${suffix}`,
          );
        },
      );
    }

    app.get(
      '/v1/nodes/:node_ident',
      {
        schema: { params: NodeIdent, querystring: ShowQuery, response: nodeResponse },
        serializerCompiler,
      },
      async (request) => {
        const fields = parseNodeFields(request, request.query.fields);
        return nodeView(request, await loadNode(deps, request, request.params.node_ident), fields);
      },
    );

    app.patch(
      '/v1/nodes/:node_ident',
      {
        schema: { params: NodeIdent, body: NodePatchSchema, response: nodeResponse },
        serializerCompiler,
      },
      async (request) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        // Ironic's reject_patch_in_newer_versions: a field the version does not have is 406.
        for (const op of request.body) {
          const field = op.path.split('/')[1] ?? '';
          if (op.op !== 'remove' && op.op !== 'test') rejectNewerFields(request, { [field]: true });
        }
        const row = await updateNode(deps, node, request.body);
        return nodeView(request, row);
      },
    );

    app.delete(
      '/v1/nodes/:node_ident',
      { schema: { params: NodeIdent } },
      async (request, reply) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        await deleteNode(deps, node);
        return reply.status(204).send();
      },
    );

    app.get('/v1/nodes/:node_ident/states', { schema: { params: NodeIdent } }, async (request) => {
      const node = await loadNode(deps, request, request.params.node_ident);
      const n = nodeView(request, node);
      return {
        provision_state: legacyState(node.provisionState, request.apiMinor),
        target_provision_state: n.target_provision_state,
        provision_updated_at: n.provision_updated_at,
        power_state: n.power_state,
        target_power_state: n.target_power_state,
        last_error: n.last_error,
        console_enabled: false,
        ...(request.apiMinor >= 12
          ? { raid_config: n.raid_config ?? {}, target_raid_config: n.target_raid_config ?? {} }
          : {}),
        ...(request.apiMinor >= 75
          ? { boot_mode: node.bootMode, secure_boot: node.secureBoot }
          : {}),
        ...(request.apiMinor >= V.LINKS_STATES_PROPERTIES
          ? { links: links(request, `nodes/${node.uuid}/states`) }
          : {}),
      };
    });

    app.put(
      '/v1/nodes/:node_ident/states/provision',
      { schema: { params: NodeIdent, body: ProvisionRequestSchema } },
      async (request, reply) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        const verb = request.body.target;
        if (!(PROVISION_VERBS as readonly string[]).includes(verb)) {
          throw badRequest(
            `Invalid field 'target': '${verb}' is not a provision verb; use one of ${PROVISION_VERBS.join(', ')}`,
          );
        }
        const since = VERB_VERSIONS[verb as ProvisionVerb];
        if (since !== undefined) requireVersion(request, since, `the '${verb}' verb`);
        if (request.body.deploy_steps !== undefined)
          requireVersion(request, V.DEPLOY_STEPS_ARGUMENT, 'deploy_steps');
        const queued = await requestProvision(deps, node, verb as ProvisionVerb, request.id, {
          cleanSteps: request.body.clean_steps,
          serviceSteps: request.body.service_steps,
          deploySteps: request.body.deploy_steps,
          configDrive: request.body.configdrive,
          rescuePassword: request.body.rescue_password,
        });
        // As Ironic, answer once the conductor has the node in the verb's transitional state,
        // where a client cannot tell from the state alone (see awaitPickup).
        if (queued.endsWhereItStarts) await awaitPickup(deps, node.uuid, node.provisionState);
        reply.header(
          'Location',
          `${request.protocol}://${request.host}/v1/nodes/${node.uuid}/states`,
        );
        return reply.status(202).send();
      },
    );

    app.put(
      '/v1/nodes/:node_ident/states/power',
      { schema: { params: NodeIdent, body: PowerRequestSchema } },
      async (request, reply) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        const { target, timeout } = request.body;
        if (target.startsWith('soft') || timeout !== undefined)
          requireVersion(request, V.SOFT_POWER_OFF, 'soft power off, soft reboot and timeout');
        await requestPower(deps, node, request.body, request.id);
        reply.header(
          'Location',
          `${request.protocol}://${request.host}/v1/nodes/${node.uuid}/states`,
        );
        return reply.status(202).send();
      },
    );

    app.get(
      '/v1/nodes/:node_ident/inventory',
      { schema: { params: NodeIdent } },
      async (request) => {
        requireEndpoint(request, V.NODE_INVENTORY);
        const node = await loadNode(deps, request, request.params.node_ident);
        const [row] = await deps.db
          .select()
          .from(nodeInventory)
          .where(eq(nodeInventory.nodeUuid, node.uuid))
          .limit(1);
        if (!row) throw notFound(`Node ${node.uuid} has no inventory: it has not been inspected.`);
        return { inventory: row.inventory, plugin_data: row.pluginData };
      },
    );

    app.get('/v1/nodes/:node_ident/history', { schema: { params: NodeIdent } }, async (request) => {
      requireEndpoint(request, V.NODE_HISTORY);
      const node = await loadNode(deps, request, request.params.node_ident);
      const rows = await nodeHistoryOf(deps.db, node.uuid);
      return {
        history: rows.map((h) => ({
          uuid: h.uuid,
          created_at: h.createdAt.toISOString(),
          severity: h.severity,
          event_type: h.eventType,
          event: h.event,
          conductor: h.conductor,
          user: h.user,
          request_id: h.requestId,
          from_state: h.fromState,
          to_state: h.toState,
          links: links(request, `nodes/${node.uuid}/history/${h.uuid}`),
        })),
      };
    });
  };
}

/** `%` and `_` in a user's substring match themselves. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
