import { Type, type Static } from '@sinclair/typebox';
import { badRequest } from '../errors.js';

/** The subject kinds node events are published under: `<prefix>.evt.node.<uuid>.<kind>`. */
export const EVENT_KINDS = ['provision', 'power', 'management'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Nodes one stream may name: a client watching more watches them all and filters. */
const MAX_NODES = 500;
/** Ironic's conductor_group: letters, digits, `-`, `_`, `.`. */
const SITE = /^[A-Za-z0-9._-]{1,255}$/;

export const EventsQuery = Type.Object({
  node: Type.Optional(
    Type.Array(Type.String({ maxLength: 64 * 1024 }), {
      description: 'node uuid or name; repeatable or comma-separated',
    }),
  ),
  site: Type.Optional(Type.String({ description: "conductor group ('default' for none)" })),
  kinds: Type.Optional(
    Type.Array(Type.String(), {
      description: `comma-separated subject kinds: ${EVENT_KINDS.join(', ')}`,
    }),
  ),
  last_event_id: Type.Optional(
    Type.String({ description: 'resume after this event id (the Last-Event-ID header wins)' }),
  ),
});
export type EventsQuery = Static<typeof EventsQuery>;

export interface EventFilter {
  /** Node idents as given (uuids or names), resolved by the route; empty: every node. */
  nodes: string[];
  /** Site token; undefined: every site. */
  site: string | undefined;
  /** Empty: every kind. */
  kinds: EventKind[];
  /** The stream sequence to resume after; undefined: new events only. */
  resumeAfter: number | undefined;
}

/** Repeated parameters and comma-separated lists are the same thing. */
const listOf = (values: readonly string[] | undefined) =>
  (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');

/** The stream's filter from the query and the Last-Event-ID header; 400 naming what is wrong. */
export function eventFilter(query: EventsQuery, lastEventIdHeader: unknown): EventFilter {
  const nodes = [...new Set(listOf(query.node))];
  if (query.node && nodes.length === 0)
    throw badRequest("Query parameter 'node' must name at least one node (uuid or name)");
  if (nodes.length > MAX_NODES)
    throw badRequest(
      `Query parameter 'node' names ${nodes.length} nodes, at most ${MAX_NODES}: leave it out to watch every node`,
    );

  const site = query.site?.trim().toLowerCase();
  if (site !== undefined && !SITE.test(site))
    throw badRequest(
      `Query parameter 'site' must be a conductor group (letters, digits, '.', '_', '-'), got '${query.site}'`,
    );

  const kinds = [...new Set(listOf(query.kinds))];
  if (query.kinds && kinds.length === 0)
    throw badRequest(`Query parameter 'kinds' must list at least one of ${EVENT_KINDS.join(', ')}`);
  const unknown = kinds.filter((k) => !(EVENT_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0)
    throw badRequest(
      `Query parameter 'kinds' has unknown kinds ${unknown.map((k) => `'${k}'`).join(', ')}: use ${EVENT_KINDS.join(', ')}`,
    );

  // EventSource sends the header on reconnection along with the URL it first used, whose query
  // parameter is stale by then: the header wins.
  const header = Array.isArray(lastEventIdHeader) ? lastEventIdHeader[0] : lastEventIdHeader;
  const resumeAfter =
    typeof header === 'string' && header.trim() !== ''
      ? eventId(header, 'Header Last-Event-ID')
      : query.last_event_id !== undefined
        ? eventId(query.last_event_id, "Query parameter 'last_event_id'")
        : undefined;

  return { nodes, site, kinds: kinds as EventKind[], resumeAfter };
}

function eventId(value: string, what: string): number {
  const text = value.trim();
  const id = Number(text);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(id))
    throw badRequest(`${what} must be an event id (a non-negative integer), got '${value}'`);
  return id;
}
