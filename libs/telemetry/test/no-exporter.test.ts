// With no exporter configured, spans still get trace ids (for logs and propagation) but nothing
// is exported and no connection is attempted. Own file: startTelemetry is once per process.
import { Socket } from 'node:net';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  currentTraceId,
  injectTraceContext,
  recordingSpanContext,
  spansRecorded,
  startTelemetry,
  withDetailSpan,
  withSpan,
} from '../src/index.js';
import type { TelemetryHandle } from '../src/index.js';
import { traceExportRequested } from '../src/sdk.js';

const savedEnv = { ...process.env };
const connect = vi.spyOn(Socket.prototype, 'connect');
let telemetry: TelemetryHandle;

beforeAll(async () => {
  for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
  telemetry = await startTelemetry({ serviceName: 'quiet' });
});

afterAll(() => {
  process.env = savedEnv;
  connect.mockRestore();
});

describe('without OTEL exporter settings', () => {
  it('still creates traces and propagates their context', async () => {
    const headers: Record<string, string> = {};
    const traceId = await withSpan('work', {}, async () => {
      injectTraceContext((key, value) => (headers[key] = value));
      return currentTraceId();
    });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(headers.traceparent).toContain(traceId);
  });

  it('makes no detail spans: nobody would read them', async () => {
    expect(spansRecorded()).toBe(false);
    await withSpan('work', {}, async (work) => {
      expect(recordingSpanContext()).toBeUndefined();
      await withDetailSpan('detail', {}, async () => {
        expect(trace.getActiveSpan()).toBe(work);
      });
    });
  });

  it('never opens a connection, not even to the default localhost:4318', async () => {
    await withSpan('more work', {}, async () => {});
    await telemetry.forceFlush();
    await telemetry.shutdown();
    expect(connect).not.toHaveBeenCalled();
  });
});

describe('traceExportRequested', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }, false],
    [{ OTEL_TRACES_EXPORTER: ' ', OTEL_EXPORTER_OTLP_ENDPOINT: '' }, false],
  ])('%j -> %s', (env, expected) => {
    expect(traceExportRequested(env)).toBe(expected);
  });
});
