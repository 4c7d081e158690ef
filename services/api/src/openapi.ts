import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { API_MAX_VERSION, API_MIN_VERSION } from './api-version.js';

const DESCRIPTION = `Ingot's REST API: OpenStack Ironic's /v1 (microversions ${API_MIN_VERSION} to ${API_MAX_VERSION}), \
so that the baremetal CLI, openstacksdk, gophercloud and Terraform's Ironic provider drive Ingot unchanged.

Every /v1 request is served at the microversion of its \`X-OpenStack-Ironic-API-Version\` header \
(or \`OpenStack-API-Version: baremetal <version>\`); \`latest\` is ${API_MAX_VERSION}, no header is \
${API_MIN_VERSION} as in Ironic. Answers carry the version used and the supported range; fields \
newer than the version are absent. Errors are Ironic's: \`{"error_message": "<JSON of faultstring, faultcode, debuginfo>"}\`.`;

/**
 * The OpenAPI document generated from the route schemas (one TypeBox schema is the validator,
 * the TypeScript type and the OpenAPI entry) at /openapi.json, and a page that renders it at
 * /docs (swagger-ui, served from the API itself: nothing is fetched from elsewhere).
 * Register before the routes: @fastify/swagger collects them as they are added.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    // Operations are grouped by resource, from their URL.
    transform: ({ schema, url }) => ({ schema: { ...schema, tags: [tagOf(url)] }, url }),
    openapi: {
      // 3.1: its schemas are JSON Schema, so the contracts' `type: [t, 'null']` is valid there.
      openapi: '3.1.0',
      info: {
        title: 'Ingot API (Ironic-compatible)',
        version: API_MAX_VERSION,
        description: DESCRIPTION,
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          keystoneToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    staticCSP: true,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

/** The resource a URL belongs to: /v1/nodes/{node}/ports is a port operation. */
function tagOf(url: string): string {
  const parts = url.split('?')[0]!.split('/').filter(Boolean);
  if (parts.length <= 1) return 'versions';
  if (['lookup', 'heartbeat', 'continue_inspection', 'continue'].includes(parts[1]!))
    return 'agent';
  if (parts[1] === 'nodes' && (parts[3] === 'ports' || parts[3] === 'portgroups')) return parts[3];
  return parts[1]!;
}
