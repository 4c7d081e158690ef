import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BmcAuth } from './bmc-auth.js';
import { normalizePath, readJson, type Reply, type Router } from './http-routing.js';
import { errorReply } from './redfish-routes.js';

/**
 * Answers one HTTP request of a lab Redfish service (one BMC or a light host of many): checks the
 * credentials, routes it, and writes the reply as a Redfish service would.
 */
export async function serveRedfish(
  router: Router,
  auth: BmcAuth,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let reply: Reply;
  try {
    reply = await dispatch(router, auth, req);
  } catch (err) {
    reply =
      err instanceof SyntaxError
        ? errorReply(400, 'MalformedJSON', `The request body is not valid JSON: ${err.message}`)
        : errorReply(500, 'InternalError', 'The lab BMC failed to handle the request.');
  }
  if (res.destroyed) return;
  const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'OData-Version': '4.0',
    ...(body ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    'Content-Length': Buffer.byteLength(body),
    ...reply.headers,
  });
  res.end(body);
}

async function dispatch(router: Router, auth: BmcAuth, req: IncomingMessage): Promise<Reply> {
  const method = req.method ?? 'GET';
  const path = normalizePath(req.url);
  const match = router.match(method, path);
  const anonymous = match.kind === 'found' && match.route.auth === false;
  // Like real BMCs, say nothing about a resource, not even its absence, before login.
  if (!anonymous && !auth.admits(req.headers)) {
    return {
      ...errorReply(401, 'NoValidSession', 'No valid session or credentials were supplied.'),
      headers: { 'WWW-Authenticate': 'Basic realm="Ingot lab BMC"' },
    };
  }
  if (match.kind === 'missing') {
    return errorReply(
      404,
      'ResourceMissingAtURI',
      `The resource at the URI ${path} was not found.`,
    );
  }
  if (match.kind === 'wrong-method') {
    return {
      ...errorReply(405, 'OperationNotAllowed', `${method} is not allowed on ${path}.`),
      headers: { Allow: match.allowed.join(', ') },
    };
  }
  const body = method === 'POST' || method === 'PATCH' ? await readJson(req) : undefined;
  return match.route.handle({ method, path, params: match.params, body });
}
