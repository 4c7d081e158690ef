import { randomUUID } from 'node:crypto';
import jsonPatch from 'fast-json-patch';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { validateRule, type ValidRule } from '@ingot/rules';
import { inspectionRules, isUuid } from '@ingot/store';
import { requireEndpoint, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { NodePatchSchema as JsonPatchSchema, type NodePatch } from '../node-patch.js';
import { links } from '../node-view.js';

type RuleRow = typeof inspectionRules.$inferSelect;

const RuleIdent = Type.Object({ rule_id: Type.String({ minLength: 1, maxLength: 255 }) });
const ListQuery = Type.Object({
  detail: Type.Optional(Type.Boolean()),
  phase: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  marker: Type.Optional(Type.String()),
});

/** What PATCH may change; uuid, created_at, updated_at and links are read-only, as in Ironic. */
const WRITABLE = [
  'description',
  'priority',
  'sensitive',
  'phase',
  'conditions',
  'actions',
] as const;
/** The parts of a rule that a sensitive rule hides. */
const HIDDEN = ['conditions', 'actions'];

/** Ironic's short form, GET /v1/inspection_rules without detail. */
function ruleSummary(request: FastifyRequest, row: RuleRow) {
  return {
    uuid: row.uuid,
    description: row.description,
    priority: row.priority,
    phase: row.phase,
    sensitive: row.sensitive,
    links: links(request, `inspection_rules/${row.uuid}`),
  };
}

/**
 * The whole rule. A sensitive rule's conditions and actions are null, as Ironic's API shows
 * them (rules_sanitize): they may hold credentials that the rule writes into driver_info.
 */
function ruleDetail(request: FastifyRequest, row: RuleRow) {
  return {
    ...ruleSummary(request, row),
    conditions: row.sensitive ? null : row.conditions,
    actions: row.sensitive ? null : row.actions,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt?.toISOString() ?? null,
  };
}

/** The rule's shape and meaning (operators, actions, arguments) checked; 400 naming each problem. */
function validRule(raw: unknown): ValidRule {
  const result = validateRule(raw);
  if (!result.ok) throw badRequest(result.message);
  return result.rule;
}

function checkRuleId(id: string): string {
  if (!isUuid(id)) throw badRequest(`Expected a UUID for the inspection rule, got '${id}'.`);
  return id.toLowerCase();
}

const missing = (id: string) => notFound(`Inspection rule ${id} could not be found.`);

/**
 * Inspection rules of Ironic's /v1 (API 1.96): create, list, show, patch, delete. The inspector
 * reads them from the same table and applies them to every node it inspects from then on.
 */
export function inspectionRuleRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    // The endpoint exists from API 1.96 (hooks of this plugin apply to its routes only).
    app.addHook('onRequest', async (request) => requireEndpoint(request, V.INSPECTION_RULES));
    async function loadRule(id: string): Promise<RuleRow> {
      const uuid = checkRuleId(id);
      const [row] = await deps.db
        .select()
        .from(inspectionRules)
        .where(eq(inspectionRules.uuid, uuid))
        .limit(1);
      if (!row) throw missing(id);
      return row;
    }

    // The body is checked by validateRule rather than by Fastify's schema, so that POST and
    // PATCH refuse a rule with the same words, and nothing is coerced on one path only.
    app.post(
      '/v1/inspection_rules',
      { schema: { body: Type.Unknown() } },
      async (request, reply) => {
        const rule = validRule(request.body);
        if (rule.uuid !== undefined && !isUuid(rule.uuid)) {
          throw badRequest(`Invalid field 'uuid': '${rule.uuid}' is not a UUID.`);
        }
        const uuid = rule.uuid?.toLowerCase() ?? randomUUID();
        const [row] = await deps.db
          .insert(inspectionRules)
          .values({
            uuid,
            description: rule.description,
            priority: rule.priority,
            sensitive: rule.sensitive,
            phase: rule.phase,
            conditions: rule.conditions,
            actions: rule.actions,
          })
          .onConflictDoNothing()
          .returning();
        if (!row) throw conflict(`An inspection rule with UUID ${uuid} already exists.`);
        reply.header('Location', `/v1/inspection_rules/${row.uuid}`);
        return reply.status(201).send(ruleDetail(request, row));
      },
    );

    app.get('/v1/inspection_rules', { schema: { querystring: ListQuery } }, async (request) => {
      const query: Static<typeof ListQuery> = request.query;
      const limit = query.limit ?? 1000;
      const where: SQL[] = [];
      if (query.phase !== undefined) where.push(eq(inspectionRules.phase, query.phase));
      if (query.marker !== undefined) {
        const marker = isUuid(query.marker) ? query.marker.toLowerCase() : null;
        const [found] = marker
          ? await deps.db
              .select({ uuid: inspectionRules.uuid })
              .from(inspectionRules)
              .where(eq(inspectionRules.uuid, marker))
          : [];
        if (!found) throw badRequest(`Marker ${query.marker} could not be found.`);
        // Compared in the database: created_at has microseconds, a JavaScript Date does not.
        where.push(
          sql`(${inspectionRules.createdAt}, ${inspectionRules.uuid}) > (select m.created_at, m.uuid from inspection_rules m where m.uuid = ${found.uuid})`,
        );
      }
      // Oldest first, as Ironic lists them (by id); the inspector orders them by priority.
      const rows = await deps.db
        .select()
        .from(inspectionRules)
        .where(and(...where))
        .orderBy(asc(inspectionRules.createdAt), asc(inspectionRules.uuid))
        .limit(limit);
      const view = query.detail === true ? ruleDetail : ruleSummary;
      const body: Record<string, unknown> = {
        inspection_rules: rows.map((row) => view(request, row)),
      };
      if (rows.length === limit) {
        const next = new URL(`${request.protocol}://${request.host}${request.url}`);
        next.searchParams.set('marker', rows[rows.length - 1]!.uuid);
        next.searchParams.set('limit', String(limit));
        body.next = next.toString();
      }
      return body;
    });

    app.get('/v1/inspection_rules/:rule_id', { schema: { params: RuleIdent } }, async (request) =>
      ruleDetail(request, await loadRule(request.params.rule_id)),
    );

    app.patch(
      '/v1/inspection_rules/:rule_id',
      { schema: { params: RuleIdent, body: JsonPatchSchema } },
      async (request) => {
        const uuid = checkRuleId(request.params.rule_id);
        const row = await deps.db.transaction(async (tx) => {
          const [current] = await tx
            .select()
            .from(inspectionRules)
            .where(eq(inspectionRules.uuid, uuid))
            .for('update');
          if (!current) throw missing(request.params.rule_id);
          const rule = patchRule(current, request.body);
          const [updated] = await tx
            .update(inspectionRules)
            .set({
              description: rule.description,
              priority: rule.priority,
              sensitive: rule.sensitive,
              phase: rule.phase,
              conditions: rule.conditions,
              actions: rule.actions,
              updatedAt: new Date(),
            })
            .where(eq(inspectionRules.uuid, uuid))
            .returning();
          return updated!;
        });
        return ruleDetail(request, row);
      },
    );

    app.delete(
      '/v1/inspection_rules/:rule_id',
      { schema: { params: RuleIdent } },
      async (request, reply) => {
        const uuid = checkRuleId(request.params.rule_id);
        const [gone] = await deps.db
          .delete(inspectionRules)
          .where(eq(inspectionRules.uuid, uuid))
          .returning({ uuid: inspectionRules.uuid });
        if (!gone) throw missing(request.params.rule_id);
        return reply.status(204).send();
      },
    );

    // Ironic keeps its built-in rules (loaded from a file) here; Ingot has none, so every
    // stored rule is the API's and goes.
    app.delete('/v1/inspection_rules', async (_request, reply) => {
      await deps.db.delete(inspectionRules);
      return reply.status(204).send();
    });
  };
}

/**
 * Applies a JSON Patch (RFC 6902) to a stored rule and validates the result as POST does.
 * A sensitive rule stays sensitive (as in Ironic), and its hidden conditions and actions cannot
 * be copied into fields that are shown, nor probed with `test`.
 */
function patchRule(row: RuleRow, patch: NodePatch): ValidRule {
  for (const op of patch) {
    const field = op.path.split('/')[1] ?? '';
    if (!(WRITABLE as readonly string[]).includes(field)) {
      throw badRequest(
        `'/${field}' is a read-only field or does not exist; writable fields: ${WRITABLE.join(', ')}`,
      );
    }
    if (row.sensitive) {
      const source = op.from?.split('/')[1] ?? '';
      if (op.op === 'test' && HIDDEN.includes(field)) {
        throw badRequest(`A sensitive rule's ${field} cannot be tested.`);
      }
      if (op.from !== undefined && HIDDEN.includes(source) && !HIDDEN.includes(field)) {
        throw badRequest(`A sensitive rule's ${source} cannot be copied or moved to '/${field}'.`);
      }
    }
  }
  const current = {
    description: row.description,
    priority: row.priority,
    sensitive: row.sensitive,
    phase: row.phase,
    conditions: row.conditions,
    actions: row.actions,
  };
  let next: Record<string, unknown>;
  try {
    next = jsonPatch.applyPatch(
      structuredClone(current),
      patch as jsonPatch.Operation[],
      true,
      false,
    ).newDocument;
  } catch (error) {
    throw badRequest(`Invalid patch: ${(error as Error).message.split('\n')[0]}`);
  }
  if (row.sensitive && next.sensitive !== true) {
    throw badRequest('Inspection rules cannot have the sensitive flag unset.');
  }
  return validRule({ uuid: row.uuid, ...next });
}
