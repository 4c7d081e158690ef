// /healthz and /metrics for services that have no HTTP API of their own.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsContentType, metricsText } from './metrics.js';

export interface HealthReport {
  ok: boolean;
  details?: Record<string, unknown>;
}

export interface OpsServerOptions {
  /** 0 picks a free port; the bound one is returned. */
  port: number;
  /** Default 127.0.0.1; binding wider is the caller's decision. */
  host?: string;
  health: () => Promise<HealthReport>;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

async function healthBody(health: () => Promise<HealthReport>) {
  try {
    const report = await health();
    const body = { status: report.ok ? 'ok' : 'unavailable', details: report.details };
    return { code: report.ok ? 200 : 503, body };
  } catch (err) {
    // A failing check is an unhealthy service, not a crashed ops server.
    const message = err instanceof Error ? err.message : String(err);
    return { code: 503, body: { status: 'unavailable', error: message } };
  }
}

async function respond(
  req: IncomingMessage,
  res: ServerResponse,
  health: () => Promise<HealthReport>,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://ops').pathname;
  if (path !== '/healthz' && path !== '/metrics') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end();
    return;
  }
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': metricsContentType }).end(await metricsText());
    return;
  }
  const { code, body } = await healthBody(health);
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((req, res) => {
    respond(req, res, opts.health).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(err instanceof Error ? err.message : String(err));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // Keep-alive connections from scrapers would otherwise hold close() open.
            server.closeAllConnections();
          }),
      });
    });
  });
}
