import { readFile, readdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { authConfigFromEnv, type AuthStrategy } from '../auth/config.js';
import { ROLES } from '../auth/policy.js';
import { ironicErrorBody } from '../errors.js';

/** Where `npm run build` puts the bundle (services/api/scripts/build-console.mjs): dist/console. */
const BUNDLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

// The page talks to this origin only and runs no inline script.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** The bundle's files by name, read once: a few hundred kilobytes at most. */
async function loadBundle(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const type = CONTENT_TYPES[extname(name)];
    if (!type) continue;
    const body = await readFile(`${dir}${name}`);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(name, { body, type, etag });
  }
  return files;
}

export interface ConsoleOptions {
  /** The bundle's directory (tests); dist/console by default. */
  bundleDir?: string;
  /** The API's auth strategy, told to the page so it knows what credential to ask for. */
  authStrategy?: AuthStrategy;
}

/**
 * The fleet web console (an Ingot extension): the bundled single-page app at /console, and
 * /console/session, which tells the page who its credential is and whether it may act. The files
 * are public (the page asks for the credential itself); every /v1 call it makes is authorized as
 * any other.
 */
export function consoleRoutes(options: ConsoleOptions = {}): FastifyPluginAsync {
  return async (app) => {
    const files = await loadBundle(options.bundleDir ?? BUNDLE_DIR);
    const strategy = options.authStrategy ?? authConfigFromEnv().strategy;
    if (!files.has('index.html'))
      app.log.warn('the console is not built (services/api/dist/console): /console answers 503');

    const send = (
      reply: FastifyReply,
      name: string,
      ifNoneMatch: string | undefined,
      asAsset = false,
    ) => {
      // index.html is served at /console only, never as a long-cached asset.
      const file = asAsset && name === 'index.html' ? undefined : files.get(name);
      if (!file) {
        const status = files.has('index.html') ? 404 : 503;
        const message =
          status === 503
            ? 'The console is not built: run `npm run build`.'
            : `No console file ${name}`;
        return reply.status(status).send(ironicErrorBody(status, message));
      }
      // index.html names the bundle by its content hash: it is revalidated, the bundle is kept.
      const cache = name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable';
      reply.headers({ ...SECURITY_HEADERS, 'cache-control': cache, etag: file.etag });
      if (ifNoneMatch === file.etag) return reply.status(304).send();
      return reply.type(file.type).send(file.body);
    };

    const hide = { hide: true } as object;
    app.get('/console', { schema: hide }, (request, reply) =>
      send(reply, 'index.html', request.headers['if-none-match']),
    );
    app.get<{ Params: { file: string } }>(
      '/console/assets/:file',
      { schema: hide },
      (request, reply) => send(reply, request.params.file, request.headers['if-none-match'], true),
    );

    app.get('/console/session', { schema: hide }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const p = request.principal;
      if (!p) {
        // No WWW-Authenticate: the page asks for the credential itself, not the browser's dialog.
        return reply
          .status(401)
          .send({ ...ironicErrorBody(401, 'The console needs a credential.'), auth: strategy });
      }
      const role = ROLES.find((r) => p.roles.has(r)) ?? null;
      return {
        auth: strategy,
        name: p.name,
        role,
        project_id: p.projectId,
        // Whether to show action buttons; the API decides each action by its policy regardless.
        can_act: p.roles.has('member'),
      };
    });
  };
}
