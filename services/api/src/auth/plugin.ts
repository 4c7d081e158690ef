import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findNode } from '@ingot/store';
import type { ApiDeps } from '../deps.js';
import { ApiError, notFound } from '../errors.js';
import { authConfigFromEnv, type AuthConfig } from './config.js';
import {
  authorize,
  isPublicRoute,
  NOAUTH_PRINCIPAL,
  nodePatchPolicies,
  normalizePattern,
  routePolicy,
  type NodeTarget,
  type PolicyName,
  type Principal,
} from './policy.js';
import { HtpasswdUsers } from './htpasswd.js';
import { TokenStore } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Who sent the request, set before any handler runs: the noauth admin, the token's principal,
     * or null on a public route called without a valid token.
     */
    principal: Principal | null;
  }
}

const forbidden = (policy: PolicyName) =>
  new ApiError(403, `Access was denied to the following resource: ${policy}`);

/**
 * Authentication and authorization of every request, as two hooks on the root instance (call
 * before registering routes). bearer: 401 without a known token, 403 when the route's policy
 * refuses the principal, 404 when a project-scoped principal may not see the node; all before the
 * body is used, so a refused request changes nothing.
 */
export function registerAuth(
  app: FastifyInstance,
  deps: ApiDeps,
  config: AuthConfig = authConfigFromEnv(),
): void {
  app.decorateRequest('principal', null);
  if (config.strategy === 'noauth') {
    app.log.warn('API authentication is off (INGOT_AUTH_STRATEGY=noauth): every caller is admin');
    app.addHook('onRequest', async (request) => {
      request.principal = NOAUTH_PRINCIPAL;
    });
    return;
  }

  const identify = identifier(app, config);
  /** The node a project-scoped request acts on, for the checks that need the body. */
  const targets = new WeakMap<FastifyRequest, NodeTarget>();

  app.addHook('onRequest', async (request, reply) => {
    const { principal, presented } = await identify.principal(request);
    request.principal = principal;
    const pattern = request.routeOptions.url;
    if (pattern !== undefined && isPublicRoute(request.method, pattern)) return;
    const p = request.principal;
    if (!p) {
      reply.header('www-authenticate', identify.challenge);
      request.log.info(
        { auth: presented ? 'unknown credentials' : 'no credentials' },
        'request refused: 401',
      );
      throw new ApiError(401, 'The request you have made requires authentication.');
    }
    if (pattern === undefined) return; // no such route: the not-found handler answers
    const rule = routePolicy(request.method, pattern);
    let target: NodeTarget | undefined;
    const ident = nodeIdent(request, pattern);
    if (ident !== undefined && p.projectId !== null) {
      // Only a project-scoped principal's rights depend on the node's owner and lessee.
      const node = await findNode(deps.db, ident);
      target = node ? { owner: node.owner, lessee: node.lessee } : undefined;
      // Ironic hides the nodes a project may not see: the same 404 as for no node at all.
      if (!target || !authorize(p, 'baremetal:node:get', target))
        throw notFound(`Node ${ident} could not be found.`);
      targets.set(request, target);
    }
    if (!rule.policies.some((policy) => authorize(p, policy, target))) {
      request.log.info(
        { principal: p.name, policy: rule.policies[0] },
        'request refused by policy: 403',
      );
      throw forbidden(rule.policies[0]!);
    }
  });

  // Checks that read the body: the fields a node PATCH touches, and who owns a node being created.
  app.addHook('preValidation', async (request) => {
    const p = request.principal;
    const pattern = request.routeOptions.url;
    if (!p || pattern === undefined) return;
    if (request.method === 'PATCH' && normalizePattern(pattern) === '/v1/nodes/{}') {
      const target = targets.get(request);
      for (const policy of nodePatchPolicies(request.body)) {
        if (!authorize(p, policy, target)) {
          request.log.info({ principal: p.name, policy }, 'patch refused by policy: 403');
          throw forbidden(policy);
        }
      }
    }
    if (
      request.method === 'POST' &&
      pattern === '/v1/nodes' &&
      !authorize(p, 'baremetal:node:create')
    ) {
      // A project admin creates nodes of its own project only (create:self_owned_node).
      const body = request.body as Record<string, unknown> | null;
      if (!body || typeof body !== 'object' || Array.isArray(body)) return; // validation says why
      if (body.owner != null && body.owner !== p.projectId)
        throw forbidden('baremetal:node:create');
      body.owner = p.projectId;
    }
  });
}

/** How the configured strategy finds the principal of a request, and how a 401 asks for one. */
function identifier(app: FastifyInstance, config: AuthConfig) {
  if (config.strategy === 'http_basic') {
    const users = HtpasswdUsers.fromFile(config.htpasswdFile!);
    app.log.info({ users: users.size }, 'API authentication: http_basic (htpasswd)');
    return {
      challenge: 'Basic realm="Baremetal API"',
      async principal(request: FastifyRequest) {
        const header = request.headers.authorization;
        return { principal: (await users.authenticate(header)) ?? null, presented: !!header };
      },
    };
  }
  const tokens = TokenStore.fromConfig(config);
  if (tokens.size === 0) {
    throw new Error(
      `INGOT_AUTH_TOKENS_FILE ${config.tokensFile} lists no token: none could be accepted`,
    );
  }
  app.log.info({ tokens: tokens.size }, 'API authentication: bearer tokens');
  return {
    challenge: 'Bearer realm="ingot"',
    async principal(request: FastifyRequest) {
      const token = presentedToken(request);
      return { principal: token ? (tokens.lookup(token) ?? null) : null, presented: !!token };
    },
  };
}

/** The token of `Authorization: Bearer <token>`, else of keystone's `X-Auth-Token: <token>`. */
function presentedToken(request: FastifyRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (bearer) return bearer;
  const header = request.headers['x-auth-token'];
  const token = (Array.isArray(header) ? header[0] : header)?.trim();
  return token || undefined;
}

/** The node a route under /v1/nodes/:param acts on, if it is one. */
function nodeIdent(request: FastifyRequest, pattern: string): string | undefined {
  const segment = pattern.split('/')[3];
  if (!pattern.startsWith('/v1/nodes/') || !segment?.startsWith(':')) return undefined;
  const value = (request.params as Record<string, unknown>)[segment.slice(1)];
  return typeof value === 'string' ? value : undefined;
}
