import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findNode } from '@ingot/store';
import { authorize } from '../auth/policy.js';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { NodeEventStream } from '../events/node-event-stream.js';
import { NodeVisibility } from '../events/node-visibility.js';
import { eventFilter, EventsQuery } from '../events/query.js';
import { SseConnection, type SseConnectionOptions } from '../events/sse-connection.js';

export type EventStreamOptions = SseConnectionOptions;

/**
 * INGOT_EVENTS_KEEPALIVE_MS (15 s): how often an idle stream gets a comment line;
 * INGOT_EVENTS_SLOW_CLIENT_MS (30 s): how long a client may leave events unread before it is dropped.
 */
export function eventStreamOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): EventStreamOptions {
  const ms = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 100)
      throw new Error(
        `${name} must be a number of milliseconds (at least 100), got "${env[name]}"`,
      );
    return value;
  };
  return {
    keepAliveMs: ms('INGOT_EVENTS_KEEPALIVE_MS', 15_000),
    slowClientMs: ms('INGOT_EVENTS_SLOW_CLIENT_MS', 30_000),
  };
}

/**
 * GET /v1/events, an Ingot extension: the node events of the bus as Server-Sent Events, filtered
 * by node, site and kind, resumable with Last-Event-ID within the event stream's retention, and
 * showing a caller only the nodes it may read. Each API replica serves its clients from the bus
 * alone: a client may resume on any replica.
 */
export function eventRoutes(
  deps: ApiDeps,
  options: EventStreamOptions = eventStreamOptionsFromEnv(),
): FastifyPluginAsyncTypebox {
  return async (app) => {
    const visibility = new NodeVisibility(deps.db);
    const open = new Set<SseConnection>();
    // Streams never end by themselves: a stopping API ends them, or it would wait for them forever.
    app.addHook('preClose', async () => {
      for (const connection of open)
        connection.end('closed: the API is stopping; reconnect with Last-Event-ID to resume');
    });

    app.get(
      '/v1/events',
      {
        // A stream has no end for HEAD to wait for.
        exposeHeadRoute: false,
        schema: {
          description:
            'Ingot extension (not in Ironic): node events as Server-Sent Events (text/event-stream). ' +
            'Each message: `id` the event stream sequence, `event` the payload type ' +
            '(provision_state_changed, power_state_changed, boot_device_changed), `data` the payload JSON. ' +
            'First `event: ready` with `{"last_event_id": n}`; `event: reset` before it when the ' +
            'Last-Event-ID is older than the stream keeps (reload state). Resume with the ' +
            'Last-Event-ID header or last_event_id. A comment line every 15 s keeps the stream alive.',
          querystring: EventsQuery,
          response: {
            200: {
              description: 'the event stream (never ends by itself)',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
          },
        },
      },
      async (request, reply) => {
        const principal = request.principal!;
        const filter = eventFilter(request.query, request.headers['last-event-id']);
        const nodeUuids: string[] = [];
        for (const ident of filter.nodes) {
          const node = await findNode(deps.db, ident);
          // A node the caller may not read is named as unknown, as node reads answer 404 for it.
          const visible =
            node &&
            authorize(principal, 'baremetal:node:get', { owner: node.owner, lessee: node.lessee });
          if (!visible)
            throw badRequest(`Query parameter 'node': node ${ident} could not be found`);
          nodeUuids.push(node.uuid);
        }
        const stream = await NodeEventStream.open(
          deps.bus,
          { nodeUuids, site: filter.site, kinds: filter.kinds, resumeAfter: filter.resumeAfter },
          principal,
          visibility,
          request.log,
        );

        reply.hijack();
        const connection = new SseConnection(reply.raw, options, {
          'x-openstack-request-id': request.id,
        });
        open.add(connection);
        const started = Date.now();
        connection.onClose((reason) => {
          open.delete(connection);
          request.log.info(
            { principal: principal.name, ms: Date.now() - started, reason },
            'event stream closed',
          );
        });
        request.log.info(
          {
            principal: principal.name,
            start_seq: stream.start.startSeq,
            reset: stream.start.reset,
          },
          'event stream opened',
        );
        await stream.pipeTo(connection);
        if (!connection.closed) connection.end('closed');
      },
    );
  };
}
