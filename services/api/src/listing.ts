import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { sql, type SQL } from 'drizzle-orm';
import { V } from './api-version.js';
import { badRequest } from './errors.js';

/** Ironic's [api]max_limit: a page holds at most this many items, and has a `next` link when full. */
export const MAX_LIMIT = 1000;

/**
 * A boolean in a query string as oslo's bool_from_string reads it: python-ironicclient sends
 * `True`/`False`, others `true`, `1` or `yes`.
 */
export const BooleanQuery = Type.String({
  pattern:
    '^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo]|[Oo][Nn]|[Oo][Ff][Ff]|[YyNnTtFf]|1|0)$',
  description: 'true or false (also True, 1, yes, on and their opposites)',
});

export function parseBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return ['true', 'yes', 'on', 'y', 't', '1'].includes(value.toLowerCase());
}

/** The query parameters every Ironic collection takes. */
export const PageQueryFields = {
  limit: Type.Optional(Type.Integer({ description: `at most ${MAX_LIMIT} per page` })),
  marker: Type.Optional(Type.String({ description: 'the last item of the previous page' })),
  sort_key: Type.Optional(Type.String()),
  sort_dir: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  fields: Type.Optional(Type.String({ description: 'comma-separated field names (API 1.8)' })),
  detail: Type.Optional(BooleanQuery),
};

/** Ironic's validate_limit: positive, capped at the maximum. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return MAX_LIMIT;
  if (limit <= 0) throw badRequest('Limit must be positive');
  return Math.min(limit, MAX_LIMIT);
}

/**
 * Ironic's get_request_return_fields: `detail` exists from 1.43 and excludes `fields`.
 * Returns whether the whole resource is wanted.
 */
export function wantsDetail(
  request: FastifyRequest,
  detail: string | undefined,
  fields: string | undefined,
): boolean {
  if (detail !== undefined && request.apiMinor < V.DETAIL_QUERY)
    throw badRequest(`Invalid query parameter ?detail=${detail} received.`);
  const wanted = parseBool(detail) === true;
  if (wanted && fields !== undefined)
    throw badRequest('Can not specify ?detail=True and fields in the same request.');
  return wanted;
}

/** How a column sorts: nullable columns sort as '' or the epoch, so that markers compare. */
export interface SortColumn {
  column: string;
  kind: 'text' | 'time' | 'plain';
}

const sortExpr = (alias: string, { column, kind }: SortColumn): SQL => {
  const ref = sql.raw(`"${alias}"."${column}"`);
  if (kind === 'text') return sql`coalesce(${ref}, '')`;
  if (kind === 'time') return sql`coalesce(${ref}, 'epoch'::timestamptz)`;
  return ref;
};

/** Ironic's default sort key `id` is creation order. */
export const CREATION_ORDER: SortColumn = { column: 'created_at', kind: 'time' };

/**
 * The ORDER BY and, after a marker, the WHERE of one page of `table` (keyed by uuid): rows after
 * the marker row in (sort column, uuid) order, compared in the database so that timestamps keep
 * their microseconds.
 */
export function pageOrder(
  table: string,
  sort: SortColumn,
  dir: 'asc' | 'desc',
  markerUuid: string | undefined,
): { after?: SQL; orderBy: SQL[] } {
  const direction = sql.raw(dir === 'desc' ? 'desc' : 'asc');
  const uuidRef = sql.raw(`"${table}"."uuid"`);
  const orderBy = [sql`${sortExpr(table, sort)} ${direction}`, sql`${uuidRef} ${direction}`];
  if (markerUuid === undefined) return { orderBy };
  const op = sql.raw(dir === 'desc' ? '<' : '>');
  const after = sql`(${sortExpr(table, sort)}, ${uuidRef}) ${op} (select ${sortExpr('m', sort)}, "m"."uuid" from ${sql.raw(`"${table}"`)} "m" where "m"."uuid" = ${markerUuid})`;
  return { after, orderBy };
}

/**
 * The `next` link of a full page (Ironic's Collection.get_next): the same request with the
 * marker moved to the last item. Every other parameter is kept, filters included.
 */
export function nextLink(
  request: FastifyRequest,
  resource: string,
  count: number,
  limit: number,
  lastKey: string | undefined,
): string | undefined {
  if (count === 0 || count !== limit || lastKey === undefined) return undefined;
  const params = new URL(request.url, 'http://ingot').searchParams;
  params.delete('limit');
  params.delete('marker');
  params.set('limit', String(limit));
  params.set('marker', lastKey);
  return `${request.protocol}://${request.host}/v1/${resource}?${params.toString()}`;
}
