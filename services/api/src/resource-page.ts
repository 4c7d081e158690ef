import type { FastifyRequest } from 'fastify';
import type { SQL } from 'drizzle-orm';
import { badRequest, notFound } from './errors.js';
import { nextLink, pageLimit, pageOrder, wantsDetail, type SortColumn } from './listing.js';
import { checkResourceFields, parseResourceFields } from './port-view.js';

/** The paging part of a collection query (Ironic's common list parameters). */
export interface PageQuery {
  limit?: number;
  marker?: string;
  sort_key?: string;
  sort_dir?: 'asc' | 'desc';
  fields?: string;
  detail?: string;
}

/** What differs between Ironic's port-like collections (ports, port groups). */
export interface Collection<Row extends { uuid: string }> {
  /** Table name, also the body's key: `ports`, `portgroups`. */
  name: string;
  /** Singular, as error messages name it: `port`, `portgroup`. */
  kind: string;
  /** Capitalised for "could not be found": `Port`, `Portgroup`. */
  title: string;
  fieldVersions: Record<string, number>;
  summaryFields: readonly string[];
  sortColumns: Record<string, SortColumn>;
  /** Whether a marker names an existing item. */
  markerExists: (uuid: string) => Promise<boolean>;
  rows: (where: SQL[], orderBy: SQL[], limit: number) => Promise<Row[]>;
  view: (request: FastifyRequest, row: Row, fields?: readonly string[]) => Record<string, unknown>;
}

/**
 * One page of a collection, as Ironic lists ports and port groups: `fields` or `detail`, a
 * sort key and direction, a marker, a limit and the `next` link of a full page. `filters` are the
 * caller's own conditions; `resource` is the path the `next` link repeats.
 */
export async function listPage<Row extends { uuid: string }>(
  request: FastifyRequest,
  collection: Collection<Row>,
  q: PageQuery,
  resource: string,
  filters: SQL[],
): Promise<Record<string, unknown>> {
  const fields = parseResourceFields(request, collection.fieldVersions, q.fields, collection.kind);
  const detail = resource.endsWith('/detail') || wantsDetail(request, q.detail, q.fields);
  const limit = pageLimit(q.limit);
  const sortKey = q.sort_key ?? 'id';
  const sort = Object.hasOwn(collection.sortColumns, sortKey)
    ? collection.sortColumns[sortKey]
    : undefined;
  if (!sort) throw badRequest(`The sort_key value ${sortKey} is an invalid field for sorting`);
  if (sortKey !== 'id')
    checkResourceFields(request, collection.fieldVersions, [sortKey], collection.kind);
  let marker: string | undefined;
  if (q.marker !== undefined) {
    const uuid = q.marker.toLowerCase();
    if (!(await collection.markerExists(uuid)))
      throw notFound(`${collection.title} ${q.marker} could not be found.`);
    marker = uuid;
  }
  const page = pageOrder(collection.name, sort, q.sort_dir ?? 'asc', marker);
  const rows = await collection.rows(
    page.after ? [...filters, page.after] : filters,
    page.orderBy,
    limit,
  );
  const shown = detail ? undefined : (fields ?? collection.summaryFields);
  const body: Record<string, unknown> = {
    [collection.name]: rows.map((row) => collection.view(request, row, shown)),
  };
  const next = nextLink(request, resource, rows.length, limit, rows.at(-1)?.uuid);
  if (next) body.next = next;
  return body;
}
