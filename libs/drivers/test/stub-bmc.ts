// A scriptable HTTP server for shapes the lab BMC does not produce (several systems, odd answers).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubBmc {
  url: string;
  requests: { method: string; path: string; headers: IncomingHttpHeaders }[];
  stop(): Promise<void>;
}

/**
 * Answers GET <path> with the JSON in `resources`, anything else with 404; drops the connection
 * without answering for each "METHOD path" listed in `drop`.
 */
export async function startStubBmc(
  resources: Record<string, unknown>,
  drop: string[] = [],
): Promise<StubBmc> {
  const requests: StubBmc['requests'] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers });
    if (drop.includes(`${req.method} ${path}`)) return void req.socket.destroy();
    const body = req.method === 'GET' ? resources[path] : undefined;
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: { message: `no ${path}` } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
