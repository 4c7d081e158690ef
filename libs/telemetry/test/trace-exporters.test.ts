// Which exporter each OTEL_* setting gives; an unsupported one fails the start with a message
// that names the variable, instead of a service that silently exports nothing.
import { describe, expect, it } from 'vitest';
import { traceExportersFromEnv } from '../src/trace-exporters.js';

const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };

async function exporterNames(env: Record<string, string>): Promise<string[]> {
  const exporters = await traceExportersFromEnv(env);
  await Promise.all(exporters.map((exporter) => exporter.shutdown()));
  return exporters.map((exporter) => exporter.constructor.name);
}

describe('traceExportersFromEnv', () => {
  it('exports nothing unless asked', async () => {
    expect(await exporterNames({})).toEqual([]);
    expect(await exporterNames({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toEqual([]);
  });

  it('gives OTLP over HTTP, protobuf by default as the specification says', async () => {
    const proto = await traceExportersFromEnv(endpoint);
    const json = await traceExportersFromEnv({
      ...endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(proto).toHaveLength(1);
    expect(json).toHaveLength(1);
    // Two different exporter classes: the protobuf and the JSON one.
    expect(proto[0]).not.toBeInstanceOf(json[0]!.constructor);
    await Promise.all([...proto, ...json].map((exporter) => exporter.shutdown()));
  });

  it('lets the traces-specific protocol win over the general one', async () => {
    const traces = await traceExportersFromEnv({
      ...endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    });
    expect(traces).toHaveLength(1);
    await traces[0]!.shutdown();
  });

  it('gives a console exporter next to OTLP when both are named', async () => {
    expect(await exporterNames({ ...endpoint, OTEL_TRACES_EXPORTER: 'otlp, console' })).toEqual([
      'OTLPTraceExporter',
      'ConsoleSpanExporter',
    ]);
  });

  it('refuses what it does not ship, naming the variable', async () => {
    await expect(
      traceExportersFromEnv({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    ).rejects.toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/);
    await expect(traceExportersFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).rejects.toThrow(
      /OTEL_TRACES_EXPORTER=zipkin is not supported/,
    );
  });
});
