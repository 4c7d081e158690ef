import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '@ingot/telemetry';
import { registerVersioning } from './api-version.js';
import { registerAuth } from './auth/plugin.js';
import { BmcCalls } from './bmc-calls.js';
import type { ApiDeps } from './deps.js';
import { badRequest, handleError, ironicErrorBody } from './errors.js';
import { unstorableInput } from './input-guard.js';
import { registerOpenApi } from './openapi.js';
import { newRequestId } from './request-id.js';
import { agentLogRoutes } from './routes/agent-logs.js';
import { agentRoutes } from './routes/agent.js';
import { allocationRoutes } from './routes/allocations.js';
import { chassisRoutes } from './routes/chassis.js';
import { consoleRoutes } from './routes/console.js';
import { deployTemplateRoutes } from './routes/deploy-templates.js';
import { doctorRoutes } from './routes/doctor.js';
import { driverRoutes } from './routes/drivers.js';
import { eventRoutes } from './routes/events.js';
import { inspectionRuleRoutes } from './routes/inspection-rules.js';
import { nodeBootSettingRoutes } from './routes/node-boot-settings.js';
import { nodeVmediaRoutes } from './routes/node-vmedia.js';
import { vendorPassthruRoutes } from './routes/vendor-passthru.js';
import { nodeManagementRoutes } from './routes/node-management.js';
import { nodeTraitRoutes } from './routes/node-traits.js';
import { nodeRoutes } from './routes/nodes.js';
import { optionalInterfaceRoutes } from './routes/optional-interfaces.js';
import { portgroupRoutes } from './routes/portgroups.js';
import { portRoutes } from './routes/ports.js';
import { rootRoutes } from './routes/root.js';
import { registerTracing } from './tracing-hook.js';

/** The REST API as a Fastify instance, without listening: main.ts listens, tests inject. */
export interface AppOptions {
  heartbeatTimeoutS: number;
  /** Inspection data must carry a pregenerated agent token (default true). */
  inspectionTokenRequired?: boolean;
  /** How long a request that needs the BMC (boot device) waits for its answer. */
  bmcWaitMs?: number;
  /** Serve HTTPS with this certificate chain and key (PEM). */
  https?: { cert: string; key: string };
  /** Heartbeats must give an https callback_url (Ironic's [agent]require_tls; default false). */
  agentRequireTls?: boolean;
  /** Fastify's trustProxy (INGOT_API_TRUST_PROXY): whose X-Forwarded-* headers to believe. */
  trustProxy?: boolean | string;
}

export async function buildApp(
  deps: ApiDeps,
  logger: Logger,
  options: AppOptions = { heartbeatTimeoutS: 300 },
): Promise<FastifyInstance> {
  // pino's Logger is Fastify's logger; the cast only bridges two declarations of the same type.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: newRequestId,
    requestIdLogLabel: 'request_id',
    // One line per request, written when it is answered (below), as Ironic's API logs: Fastify's
    // own two lines per request doubled the API's logging and redaction work under load.
    disableRequestLogging: true,
    ajv: {
      // Unknown fields are refused (not silently dropped), so typos surface as a 400.
      customOptions: { removeAdditional: false, allErrors: true },
    },
    // python-ironicclient asks for /v1/nodes/?fields=... (trailing slash), as Ironic allows.
    routerOptions: { ignoreTrailingSlash: true },
    trustProxy: options.trustProxy ?? false,
    // Typed as the HTTP server's instance: the routes and hooks do not depend on which it is.
    ...((options.https ? { https: options.https } : {}) as object),
  }).withTypeProvider<TypeBoxTypeProvider>();
  registerTracing(app);
  registerAuth(app, deps);
  registerVersioning(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-openstack-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    // Plain fields, not the request and reply objects: the logger's secret redaction walks every
    // object it is given, and Fastify's request is a large one.
    request.log.info(
      {
        req: { method: request.method, url: request.url, host: request.host, ip: request.ip },
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
  });
  app.addHook('preValidation', async (request) => {
    // Before the schemas, which would otherwise walk a 5000-level body with recursion.
    for (const [part, value] of [
      ['path', request.params],
      ['query', request.query],
      ['body', request.body],
    ] as const) {
      const problem = unstorableInput(value);
      if (problem) throw badRequest(`Invalid request ${part}: ${problem}`);
    }
  });
  // Every query parameter of every route is one its schema names: a misspelt filter
  // (`?provison_state=`) gets a 400 naming it instead of a silently unfiltered list.
  app.addHook('onRoute', (route) => {
    const query = route.schema?.querystring as { type?: string; additionalProperties?: unknown };
    if (query?.type === 'object' && query.additionalProperties === undefined)
      route.schema!.querystring = { ...query, additionalProperties: false };
  });
  app.setErrorHandler(handleError);
  // python-ironicclient sends DELETE with an empty application/octet-stream body; Ironic takes it.
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, (body as Buffer).length === 0 ? undefined : body),
  );
  // It also sends PUT /v1/nodes/{}/traits/{} with an application/json header and no body. Only an
  // empty body is let through; anything else goes to Fastify's own (prototype-poisoning-safe) parser.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : parseJson(request, body as string, done),
  );
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(ironicErrorBody(404, `No resource at ${request.method} ${request.url.split('?')[0]}`)),
  );
  await registerOpenApi(app);
  const bmc = new BmcCalls(deps.db, deps.bus, options.bmcWaitMs ?? 60_000);
  app.addHook('onClose', async () => bmc.close());
  await app.register(rootRoutes(deps));
  await app.register(nodeRoutes(deps));
  await app.register(nodeManagementRoutes(deps, bmc));
  await app.register(nodeBootSettingRoutes(deps, bmc));
  await app.register(nodeVmediaRoutes(deps, bmc));
  await app.register(vendorPassthruRoutes(deps, bmc));
  await app.register(nodeTraitRoutes(deps));
  await app.register(portRoutes(deps));
  await app.register(portgroupRoutes(deps));
  await app.register(driverRoutes(deps));
  await app.register(inspectionRuleRoutes(deps));
  await app.register(optionalInterfaceRoutes(deps));
  await app.register(deployTemplateRoutes(deps));
  await app.register(allocationRoutes(deps));
  await app.register(chassisRoutes(deps));
  await app.register(doctorRoutes(deps));
  await app.register(eventRoutes(deps));
  await app.register(agentLogRoutes(deps));
  await app.register(consoleRoutes());
  await app.register(
    agentRoutes(deps, {
      heartbeatTimeoutS: options.heartbeatTimeoutS,
      inspectionTokenRequired: options.inspectionTokenRequired ?? true,
      requireTls: options.agentRequireTls ?? false,
    }),
  );
  return app;
}
