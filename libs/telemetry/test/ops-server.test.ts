import { afterEach, describe, expect, it } from 'vitest';
import { counter, metricsContentType, startOpsServer } from '../src/index.js';
import type { HealthReport, OpsServer } from '../src/index.js';

let server: OpsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(health: () => Promise<HealthReport>) {
  server = await startOpsServer({ port: 0, health });
  const base = `http://127.0.0.1:${server.port}`;
  return (path: string, init?: RequestInit) => fetch(base + path, init);
}

describe('startOpsServer', () => {
  it('binds an ephemeral port on 127.0.0.1 when asked for port 0', async () => {
    const get = await serve(async () => ({ ok: true }));
    expect(server?.port).toBeGreaterThan(0);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('answers /healthz with 200 and the details when healthy', async () => {
    const get = await serve(async () => ({ ok: true, details: { nats: 'connected' } }));
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ status: 'ok', details: { nats: 'connected' } });
  });

  it('answers /healthz with 503 when unhealthy', async () => {
    const get = await serve(async () => ({ ok: false, details: { db: 'down' } }));
    const res = await get('/healthz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', details: { db: 'down' } });
  });

  it('answers /healthz with 503 when the check itself throws', async () => {
    const get = await serve(async () => {
      throw new Error('pool exhausted');
    });
    const res = await get('/healthz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', error: 'pool exhausted' });
  });

  it('serves the process metrics on /metrics', async () => {
    counter('test_ops_scrapes_total', 'Scrapes seen by the test').inc();
    const get = await serve(async () => ({ ok: true }));
    const res = await get('/metrics?format=text');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metricsContentType);
    const text = await res.text();
    expect(text).toContain('test_ops_scrapes_total 1');
    expect(text).toContain('ingot_nodejs_eventloop_lag_seconds');
  });

  it('answers 404 elsewhere and 405 to other methods', async () => {
    const get = await serve(async () => ({ ok: true }));
    expect((await get('/')).status).toBe(404);
    expect((await get('/healthz', { method: 'POST' })).status).toBe(405);
  });

  it('closes even with a keep-alive connection open', async () => {
    const get = await serve(async () => ({ ok: true }));
    await (await get('/healthz')).text();
    await server?.close();
    server = undefined;
  });
});
