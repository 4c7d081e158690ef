import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { and, eq, or } from 'drizzle-orm';
import { DeployTemplateCreateSchema, type DeployStep } from '@ingot/contracts';
import { deployTemplates, isUuid, type DeployTemplateStep } from '@ingot/store';
import { requireResource, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { CREATION_ORDER, PageQueryFields, type SortColumn } from '../listing.js';
import { NodePatchSchema as JsonPatchSchema } from '../node-patch.js';
import { links } from '../node-view.js';
import { parseResourceFields } from '../port-view.js';
import { listPage, type Collection } from '../resource-page.js';
import { checkPatched, maskSecrets, pickFields, violatedConstraint } from '../resource-fields.js';
import { applyPatch } from './ports.js';

type TemplateRow = typeof deployTemplates.$inferSelect;

const TemplateIdent = Type.Object({
  template_ident: Type.String({ minLength: 1, maxLength: 255 }),
});
const ListQuery = Type.Object(PageQueryFields);
const ShowQuery = Type.Object({ fields: Type.Optional(Type.String()) });

/** Every field of a template answer, all there from 1.55. */
const FIELDS: Record<string, number> = {
  uuid: 0,
  name: 0,
  steps: 0,
  extra: 0,
  created_at: 0,
  updated_at: 0,
  links: 0,
};
/** What a list shows without `detail` or `fields` (Ironic's DEFAULT_RETURN_FIELDS). */
const SUMMARY_FIELDS = ['uuid', 'name'];
const SORT_COLUMNS: Record<string, SortColumn> = {
  id: CREATION_ORDER,
  created_at: CREATION_ORDER,
  updated_at: { column: 'updated_at', kind: 'time' },
  uuid: { column: 'uuid', kind: 'plain' },
  name: { column: 'name', kind: 'plain' },
};
/** What PATCH may change (Ironic's PATCH_ALLOWED_FIELDS at 1.96). */
const WRITABLE = ['name', 'steps', 'extra'];

/** A template as Ironic shows it: step arguments that look secret are masked. */
function templateView(
  request: FastifyRequest,
  row: TemplateRow,
  fields?: readonly string[],
): Record<string, unknown> {
  return pickFields(
    {
      uuid: row.uuid,
      name: row.name,
      steps: row.steps.map((s) => ({ ...s, args: maskSecrets(s.args) })),
      extra: row.extra,
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt?.toISOString() ?? null,
      links: links(request, `deploy_templates/${row.uuid}`),
    },
    fields,
  );
}

/**
 * Steps as stored: the priority an integer (Ironic takes "10" too). Each interface and step may
 * appear once (Ironic's duplicate_steps).
 */
function storedSteps(steps: readonly DeployStep[]): DeployTemplateStep[] {
  const seen = new Map<string, number>();
  for (const s of steps)
    seen.set(`${s.interface}\u0000${s.step}`, (seen.get(`${s.interface}\u0000${s.step}`) ?? 0) + 1);
  const duplicates = [...seen].filter(([, n]) => n > 1).map(([key]) => key.split('\u0000'));
  if (duplicates.length > 0) {
    throw badRequest(
      `Deploy template invalid: Duplicate deploy steps. A template cannot have multiple deploy steps with the same interface and step. Duplicates: ${duplicates.map(([i, s]) => `interface: ${i}, step: ${s}`).join('; ')}.`,
    );
  }
  return steps.map((s) => ({
    interface: s.interface,
    step: s.step,
    args: s.args,
    priority: Number(s.priority),
  }));
}

const missing = (ident: string) => notFound(`Deploy template ${ident} could not be found.`);

function clash(error: unknown, values: { uuid: string; name: string }): never {
  const constraint = violatedConstraint(error);
  if (constraint === undefined) throw error;
  if (constraint.includes('name'))
    throw conflict(`A deploy template with name ${values.name} already exists.`);
  throw conflict(`A deploy template with UUID ${values.uuid} already exists.`);
}

/**
 * Deploy templates of Ironic's /v1 (API 1.55): create, list, show, patch, delete, by UUID or
 * name. A deployment whose instance traits name a template gets its steps (the conductor reads
 * them with deployTemplatesMatching).
 */
export function deployTemplateRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', async (request) =>
      requireResource(request, V.DEPLOY_TEMPLATES, 'deploy templates'),
    );

    async function loadTemplate(ident: string): Promise<TemplateRow> {
      const [row] = await deps.db
        .select()
        .from(deployTemplates)
        .where(
          isUuid(ident)
            ? or(eq(deployTemplates.uuid, ident.toLowerCase()), eq(deployTemplates.name, ident))
            : eq(deployTemplates.name, ident),
        )
        .limit(1);
      if (!row) throw missing(ident);
      return row;
    }

    const collection: Collection<TemplateRow> = {
      name: 'deploy_templates',
      kind: 'deploy template',
      title: 'Deploy template',
      fieldVersions: FIELDS,
      summaryFields: SUMMARY_FIELDS,
      sortColumns: SORT_COLUMNS,
      markerExists: async (uuid) => {
        if (!isUuid(uuid)) return false;
        const [row] = await deps.db
          .select({ uuid: deployTemplates.uuid })
          .from(deployTemplates)
          .where(eq(deployTemplates.uuid, uuid));
        return row !== undefined;
      },
      rows: (where, orderBy, limit) =>
        deps.db
          .select()
          .from(deployTemplates)
          .where(and(...where))
          .orderBy(...orderBy)
          .limit(limit),
      view: templateView,
    };

    app.get('/v1/deploy_templates', { schema: { querystring: ListQuery } }, (request) =>
      listPage(
        request,
        collection,
        request.query as Static<typeof ListQuery>,
        'deploy_templates',
        [],
      ),
    );

    app.get(
      '/v1/deploy_templates/:template_ident',
      { schema: { params: TemplateIdent, querystring: ShowQuery } },
      async (request) => {
        const fields = parseResourceFields(
          request,
          FIELDS,
          request.query.fields,
          'deploy template',
        );
        return templateView(request, await loadTemplate(request.params.template_ident), fields);
      },
    );

    app.post(
      '/v1/deploy_templates',
      { schema: { body: DeployTemplateCreateSchema } },
      async (request, reply) => {
        const body = request.body;
        const values = {
          uuid: body.uuid?.toLowerCase() ?? randomUUID(),
          name: body.name,
          steps: storedSteps(body.steps),
          extra: body.extra ?? {},
        };
        const [row] = await deps.db
          .insert(deployTemplates)
          .values(values)
          .returning()
          .catch((error: unknown) => clash(error, values));
        reply.header(
          'Location',
          `${request.protocol}://${request.host}/v1/deploy_templates/${row!.uuid}`,
        );
        return reply.status(201).send(templateView(request, row!));
      },
    );

    app.patch(
      '/v1/deploy_templates/:template_ident',
      { schema: { params: TemplateIdent, body: JsonPatchSchema } },
      async (request) => {
        for (const op of request.body) {
          const field = op.path.split('/')[1] ?? '';
          if (!WRITABLE.includes(field)) {
            throw badRequest(
              `Cannot patch ${op.path}. Only the following can be updated: ${WRITABLE.join(', ')}`,
            );
          }
        }
        const current = await loadTemplate(request.params.template_ident);
        const patched = applyPatch(
          { name: current.name, steps: current.steps, extra: current.extra },
          request.body,
        );
        // A removed extra is empty, as on a new template; name and steps are required.
        if (patched.extra === undefined || patched.extra === null) patched.extra = {};
        checkPatched(DeployTemplateCreateSchema, patched, 'deploy template');
        const next = patched as Static<typeof DeployTemplateCreateSchema>;
        const values = {
          uuid: current.uuid,
          name: next.name,
          steps: storedSteps(next.steps),
          extra: next.extra ?? {},
        };
        const [row] = await deps.db
          .update(deployTemplates)
          .set({
            name: values.name,
            steps: values.steps,
            extra: values.extra,
            updatedAt: new Date(),
          })
          .where(eq(deployTemplates.uuid, current.uuid))
          .returning()
          .catch((error: unknown) => clash(error, values));
        if (!row) throw missing(request.params.template_ident);
        return templateView(request, row);
      },
    );

    app.delete(
      '/v1/deploy_templates/:template_ident',
      { schema: { params: TemplateIdent } },
      async (request, reply) => {
        const template = await loadTemplate(request.params.template_ident);
        await deps.db.delete(deployTemplates).where(eq(deployTemplates.uuid, template.uuid));
        return reply.status(204).send();
      },
    );
  };
}
