import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { metricsContentType, metricsText } from '@ingot/telemetry';
import { API_MAX_VERSION, API_MIN_VERSION, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';

const Link = Type.Object({
  href: Type.String(),
  rel: Type.String(),
  type: Type.Optional(Type.String()),
});
const VersionSchema = Type.Object({
  id: Type.String(),
  status: Type.String(),
  version: Type.String({ description: 'the maximum microversion' }),
  min_version: Type.String(),
  links: Type.Array(Link),
});

/** Ironic's version object: the v1 API and its microversion range. */
function version(request: FastifyRequest) {
  return {
    id: 'v1',
    status: 'CURRENT',
    version: API_MAX_VERSION,
    min_version: API_MIN_VERSION,
    links: [{ href: `${request.protocol}://${request.host}/v1/`, rel: 'self' }],
  };
}

/** A resource's self and bookmark links, as /v1 lists them. */
function resource(request: FastifyRequest, name: string) {
  const base = `${request.protocol}://${request.host}`;
  return [
    { href: `${base}/v1/${name}/`, rel: 'self' },
    { href: `${base}/${name}/`, rel: 'bookmark' },
  ];
}

/**
 * Version discovery (Ironic's root and v1 controllers, no authentication): GET / lists the
 * versions with the default one, GET /v1 the resources of the version the request negotiated.
 * Also the operations endpoints /healthz and /metrics.
 */
export function rootRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        schema: {
          summary: 'API versions',
          response: {
            200: Type.Object({
              name: Type.String(),
              description: Type.String(),
              versions: Type.Array(VersionSchema),
              default_version: VersionSchema,
            }),
          },
        },
      },
      async (request) => ({
        name: 'OpenStack Ironic API',
        description:
          'Ingot: bare-metal provisioning with an Ironic-compatible API (OpenStack Ironic is a project which aims to provision baremetal machines).',
        versions: [version(request)],
        default_version: version(request),
      }),
    );

    app.get('/v1', { schema: { summary: 'The v1 API and its resources' } }, async (request) => {
      const minor = request.apiMinor;
      return {
        id: 'v1',
        links: [
          { href: `${request.protocol}://${request.host}/v1/`, rel: 'self' },
          {
            href: `${request.protocol}://${request.host}/docs`,
            rel: 'describedby',
            type: 'text/html',
          },
        ],
        media_types: { base: 'application/json', type: 'application/vnd.openstack.ironic.v1+json' },
        nodes: resource(request, 'nodes'),
        ports: resource(request, 'ports'),
        drivers: resource(request, 'drivers'),
        ...(minor >= V.PORTGROUPS ? { portgroups: resource(request, 'portgroups') } : {}),
        ...(minor >= V.VOLUME ? { volume: resource(request, 'volume') } : {}),
        ...(minor >= V.LOOKUP_HEARTBEAT
          ? { lookup: resource(request, 'lookup'), heartbeat: resource(request, 'heartbeat') }
          : {}),
        ...(minor >= V.CONDUCTORS ? { conductors: resource(request, 'conductors') } : {}),
        ...(minor >= V.SHARD ? { shards: resource(request, 'shards') } : {}),
        ...(minor >= V.INSPECTION_RULES
          ? { inspection_rules: resource(request, 'inspection_rules') }
          : {}),
        version: version(request),
      };
    });

    app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
      const checks = {
        bus: !deps.bus.nc.isClosed(),
        database: await deps.db.execute('SELECT 1').then(
          () => true,
          () => false,
        ),
      };
      const ok = checks.bus && checks.database;
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
    });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(metricsContentType).send(await metricsText()),
    );
  };
}
