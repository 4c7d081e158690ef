import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { and, eq } from 'drizzle-orm';
import { ChassisCreateSchema } from '@ingot/contracts';
import { chassis, isUuid, nodes } from '@ingot/store';
import type { ApiDeps } from '../deps.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { CREATION_ORDER, PageQueryFields, type SortColumn } from '../listing.js';
import { NodePatchSchema as JsonPatchSchema } from '../node-patch.js';
import { links } from '../node-view.js';
import { parseResourceFields } from '../port-view.js';
import { listPage, type Collection } from '../resource-page.js';
import { checkPatched, pickFields, violatedConstraint } from '../resource-fields.js';
import { applyPatch } from './ports.js';

type ChassisRow = typeof chassis.$inferSelect;

const ChassisIdent = Type.Object({ chassis_uuid: Type.String({ minLength: 1, maxLength: 255 }) });
const ListQuery = Type.Object(PageQueryFields);
const ShowQuery = Type.Object({ fields: Type.Optional(Type.String()) });

const FIELDS: Record<string, number> = {
  uuid: 0,
  description: 0,
  extra: 0,
  created_at: 0,
  updated_at: 0,
  links: 0,
  nodes: 0,
};
/** What a list shows without `detail` or `fields` (Ironic's DEFAULT_RETURN_FIELDS). */
const SUMMARY_FIELDS = ['uuid', 'description'];
const SORT_COLUMNS: Record<string, SortColumn> = {
  id: CREATION_ORDER,
  created_at: CREATION_ORDER,
  updated_at: { column: 'updated_at', kind: 'time' },
  uuid: { column: 'uuid', kind: 'plain' },
  description: { column: 'description', kind: 'text' },
};
const WRITABLE = ['description', 'extra'];

function chassisView(
  request: FastifyRequest,
  row: ChassisRow,
  fields?: readonly string[],
): Record<string, unknown> {
  return pickFields(
    {
      uuid: row.uuid,
      description: row.description,
      extra: row.extra,
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt?.toISOString() ?? null,
      links: links(request, `chassis/${row.uuid}`),
      nodes: links(request, `chassis/${row.uuid}/nodes`),
    },
    fields,
  );
}

/** Chassis are named by UUID only (Ironic's args.uuid): anything else is a 400. */
function chassisUuid(ident: string): string {
  if (!isUuid(ident)) throw badRequest(`Expected a UUID but received ${ident}.`);
  return ident.toLowerCase();
}

const missing = (ident: string) => notFound(`Chassis ${ident} could not be found.`);

/**
 * Chassis of Ironic's /v1: create, list (also /detail), show, patch, delete. A node names its
 * chassis by chassis_uuid; a chassis' nodes are listed at /v1/chassis/{uuid}/nodes (nodes.ts), and
 * a chassis that still has nodes is not deleted.
 */
export function chassisRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    async function loadChassis(ident: string): Promise<ChassisRow> {
      const [row] = await deps.db
        .select()
        .from(chassis)
        .where(eq(chassis.uuid, chassisUuid(ident)))
        .limit(1);
      if (!row) throw missing(ident);
      return row;
    }

    const collection: Collection<ChassisRow> = {
      name: 'chassis',
      kind: 'chassis',
      title: 'Chassis',
      fieldVersions: FIELDS,
      summaryFields: SUMMARY_FIELDS,
      sortColumns: SORT_COLUMNS,
      markerExists: async (uuid) => {
        if (!isUuid(uuid)) return false;
        const [row] = await deps.db
          .select({ uuid: chassis.uuid })
          .from(chassis)
          .where(eq(chassis.uuid, uuid));
        return row !== undefined;
      },
      rows: (where, orderBy, limit) =>
        deps.db
          .select()
          .from(chassis)
          .where(and(...where))
          .orderBy(...orderBy)
          .limit(limit),
      view: chassisView,
    };

    for (const resource of ['chassis', 'chassis/detail']) {
      app.get(`/v1/${resource}`, { schema: { querystring: ListQuery } }, (request) => {
        const q = request.query as Static<typeof ListQuery>;
        if (resource === 'chassis/detail' && (q.fields !== undefined || q.detail !== undefined))
          throw badRequest(
            `Invalid query parameter ?${q.fields !== undefined ? 'fields' : 'detail'} on /v1/chassis/detail.`,
          );
        return listPage(request, collection, q, resource, []);
      });
    }

    app.get(
      '/v1/chassis/:chassis_uuid',
      { schema: { params: ChassisIdent, querystring: ShowQuery } },
      async (request) => {
        const fields = parseResourceFields(request, FIELDS, request.query.fields, 'chassis');
        return chassisView(request, await loadChassis(request.params.chassis_uuid), fields);
      },
    );

    app.post('/v1/chassis', { schema: { body: ChassisCreateSchema } }, async (request, reply) => {
      const body = request.body;
      const uuid = body.uuid?.toLowerCase() ?? randomUUID();
      const [row] = await deps.db
        .insert(chassis)
        .values({ uuid, description: body.description ?? null, extra: body.extra ?? {} })
        .returning()
        .catch((error: unknown) => {
          if (violatedConstraint(error) === undefined) throw error;
          throw conflict(`A chassis with UUID ${uuid} already exists.`);
        });
      reply.header('Location', `${request.protocol}://${request.host}/v1/chassis/${row!.uuid}`);
      return reply.status(201).send(chassisView(request, row!));
    });

    app.patch(
      '/v1/chassis/:chassis_uuid',
      { schema: { params: ChassisIdent, body: JsonPatchSchema } },
      async (request) => {
        for (const op of request.body) {
          const field = op.path.split('/')[1] ?? '';
          if (!WRITABLE.includes(field)) {
            throw badRequest(
              `Cannot patch ${op.path}. Only the following can be updated: ${WRITABLE.join(', ')}`,
            );
          }
        }
        const current = await loadChassis(request.params.chassis_uuid);
        const patched = applyPatch(
          { description: current.description, extra: current.extra },
          request.body,
        );
        checkPatched(ChassisCreateSchema, patched, 'chassis');
        const next = patched as Static<typeof ChassisCreateSchema>;
        const [row] = await deps.db
          .update(chassis)
          .set({
            description: next.description ?? null,
            extra: next.extra ?? {},
            updatedAt: new Date(),
          })
          .where(eq(chassis.uuid, current.uuid))
          .returning();
        if (!row) throw missing(request.params.chassis_uuid);
        return chassisView(request, row);
      },
    );

    app.delete(
      '/v1/chassis/:chassis_uuid',
      { schema: { params: ChassisIdent } },
      async (request, reply) => {
        const current = await loadChassis(request.params.chassis_uuid);
        const notEmpty = badRequest(
          `Cannot complete the requested action because chassis ${current.uuid} contains nodes.`,
        );
        const [member] = await deps.db
          .select({ uuid: nodes.uuid })
          .from(nodes)
          .where(eq(nodes.chassisUuid, current.uuid))
          .limit(1);
        if (member) throw notEmpty;
        // A node added meanwhile is caught by its foreign key.
        await deps.db
          .delete(chassis)
          .where(eq(chassis.uuid, current.uuid))
          .catch((error: unknown) => {
            if ((error as { cause?: { code?: string } }).cause?.code === '23503') throw notEmpty;
            throw error;
          });
        return reply.status(204).send();
      },
    );
  };
}
