// Proves the OTEL_* environment drives export: spans reach an OTLP/HTTP JSON receiver on
// 127.0.0.1. startTelemetry is once per process and vitest gives each test file its own process,
// so the environment is set up before this file's only start.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelemetry, withSpan } from '../src/index.js';
import type { TelemetryHandle } from '../src/index.js';

interface OtlpValue {
  stringValue?: string;
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: OtlpValue }[] };
    scopeSpans: {
      spans: { name: string; traceId: string; spanId: string; parentSpanId?: string }[];
    }[];
  }[];
}

const received: { path: string; contentType: string; body: OtlpExport }[] = [];
let receiver: Server;
let telemetry: TelemetryHandle;
const savedEnv = { ...process.env };

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for the OTLP export');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString()) as OtlpExport,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await listen(receiver);

  for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
  Object.assign(process.env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Short enough that the batch goes out without forceFlush.
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_SERVICE_NAME: 'from-env',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,ingot.site=lab',
  });
  telemetry = await startTelemetry({ serviceName: 'from-code' });
});

afterAll(async () => {
  await telemetry.shutdown();
  process.env = savedEnv;
  await new Promise((resolve) => receiver.close(resolve));
});

describe('export configured by OTEL_* variables', () => {
  it('sends batched spans as OTLP/HTTP JSON to the configured endpoint', async () => {
    await withSpan('api.request', {}, () => withSpan('bus.publish', {}, async () => {}));

    const spans = await waitFor(() => {
      const all = received.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans));
      const flat = all.flatMap((s) => s.spans);
      return flat.length >= 2 ? flat : undefined;
    });
    expect(received[0]?.path).toBe('/v1/traces');
    expect(received[0]?.contentType).toMatch(/^application\/json/);

    const parent = spans.find((s) => s.name === 'api.request');
    const child = spans.find((s) => s.name === 'bus.publish');
    expect(child?.traceId).toBe(parent?.traceId);
    expect(child?.parentSpanId).toBe(parent?.spanId);
  });

  it('describes the service from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES', async () => {
    await withSpan('resource.check', {}, async () => {});
    await telemetry.forceFlush();
    const resource = received.at(-1)?.body.resourceSpans[0]?.resource;
    const attributes = Object.fromEntries(
      (resource?.attributes ?? []).map((a) => [a.key, a.value.stringValue]),
    );
    expect(attributes).toMatchObject({
      'service.name': 'from-env',
      'deployment.environment': 'test',
      'ingot.site': 'lab',
    });
  });
});
