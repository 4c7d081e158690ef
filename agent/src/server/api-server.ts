// The agent's REST API (IPA's api/app.py): status, and the commands the conductor sends.
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { CommandExecutor } from '../commands/executor.js';
import { AgentError } from '../errors.js';
import type { AgentLogger } from '../log.js';
import { AGENT_VERSION } from '../version.js';
import { tokenMatches } from './token.js';

const MAX_BODY_BYTES = 128 * 1024 * 1024;
const MEDIA_TYPE = 'application/vnd.openstack.ironic-python-agent.v1+json';

export interface ApiServerOptions {
  executor: CommandExecutor;
  log: AgentLogger;
  /** The token commands must carry (undefined until known: then every command is refused). */
  token: () => string | undefined;
  /** Seconds since the epoch, as IPA reports it. */
  startedAt: number;
  /** Serve HTTPS only, with this key and certificate (auto-tls.ts). */
  tls?: { key: string; cert: string };
}

export function createApiServer(opts: ApiServerOptions): Server | TlsServer {
  const listener: RequestListener = (req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      const error =
        err instanceof AgentError ? err : AgentError.commandExecution((err as Error).message);
      if (error.code >= 500)
        opts.log.error('API request failed', { path: pathOf(req), error: error.message });
      sendError(res, error);
    });
  };
  return opts.tls ? createTlsServer({ ...opts.tls }, listener) : createServer(listener);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  opts: ApiServerOptions,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent');
  // Unversioned aliases (/status, /commands/) mean v1, as in IPA.
  const path = url.pathname.replace(/^\/v1(?=\/|$)/, '') || '/';
  const versioned = url.pathname.startsWith('/v1');
  const method = req.method ?? 'GET';
  const scheme = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  const root = `${scheme}://${req.headers.host ?? 'localhost'}`;

  if (path === '/' && !versioned)
    return only(method, 'GET', () => send(res, 200, rootDocument(root)));
  if (path === '/' && versioned) return only(method, 'GET', () => send(res, 200, v1Document(root)));
  if (path === '/status') {
    return only(method, 'GET', () =>
      send(res, 200, { started_at: opts.startedAt, version: AGENT_VERSION }),
    );
  }
  if (path === '/commands' || path === '/commands/') {
    requireToken(url, opts);
    if (method === 'GET') return send(res, 200, { commands: opts.executor.list() });
    if (method === 'POST') return runCommand(req, res, url, opts);
    throw methodNotAllowed();
  }
  const commandId = /^\/commands\/([^/]+)$/.exec(path)?.[1];
  if (commandId) {
    requireToken(url, opts);
    if (method !== 'GET') throw methodNotAllowed();
    const entry = opts.executor.get(decodeURIComponent(commandId));
    if (!entry) throw AgentError.commandNotFound(commandId);
    if (isTrue(url.searchParams.get('wait'))) await entry.done;
    return send(res, 200, entry.result);
  }
  throw AgentError.notFound();
}

async function runCommand(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  opts: ApiServerOptions,
) {
  const body = await readJson(req);
  const params = body?.params;
  if (
    typeof body?.name !== 'string' ||
    typeof params !== 'object' ||
    params === null ||
    Array.isArray(params)
  ) {
    throw AgentError.invalidContent('Missing or invalid name or params');
  }
  opts.log.info('command received', { command: body.name });
  const entry = await opts.executor.execute(body.name, params as Record<string, unknown>);
  if (isTrue(url.searchParams.get('wait'))) await entry.done;
  send(res, 200, entry.result);
}

function requireToken(url: URL, opts: ApiServerOptions): void {
  if (!tokenMatches(opts.token(), url.searchParams.get('agent_token')))
    throw AgentError.unauthorized();
}

async function readJson(
  req: IncomingMessage,
): Promise<{ name?: unknown; params?: unknown } | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw AgentError.invalidContent(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof parsed === 'object'
      ? (parsed as { name?: unknown; params?: unknown } | null)
      : null;
  } catch {
    throw AgentError.invalidContent('the request body is not valid JSON');
  }
}

function only(method: string, allowed: string, then: () => void): void {
  if (method !== allowed) throw methodNotAllowed();
  then();
}

function methodNotAllowed(): AgentError {
  return new AgentError(
    'MethodNotAllowed',
    405,
    'Method not allowed',
    'The method is not allowed for the requested URL.',
  );
}

function isTrue(value: string | null): boolean {
  return value?.toLowerCase() === 'true';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Both shapes at once: IPA's serialized error (type, code, message, details) and the
 * faultcode/faultstring its WSGI layer returns, which Ironic's agent client reads.
 */
function sendError(res: ServerResponse, error: AgentError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, error.code, {
    ...error.serialize(),
    faultcode: error.code >= 500 ? 'Server' : 'Client',
    faultstring: error.message,
  });
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

function link(href: string, rel: string, type?: string) {
  return type ? { href, rel, type } : { href, rel };
}

function version(root: string) {
  return {
    id: 'v1',
    links: [
      link(`${root}/v1/`, 'self'),
      link('https://docs.openstack.org/ironic-python-agent', 'describedby', 'text/html'),
    ],
  };
}

function rootDocument(root: string) {
  return {
    name: 'OpenStack Ironic Python Agent API',
    description: 'Ingot agent: an ironic-python-agent compatible provisioning agent',
    versions: [version(root)],
    default_version: version(root),
  };
}

function v1Document(root: string) {
  return {
    ...version(root),
    commands: [link(`${root}/v1/commands`, 'self'), link(`${root}/commands`, 'bookmark')],
    status: [link(`${root}/v1/status`, 'self'), link(`${root}/status`, 'bookmark')],
    media_types: [{ base: 'application/json', type: MEDIA_TYPE }],
  };
}
