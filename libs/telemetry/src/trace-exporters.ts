// The span exporters the standard OTEL_* variables ask for, each loaded only when asked for: the
// OTLP exporters pull in protobuf and HTTP machinery that a service exporting nothing (the default)
// should not carry in memory.
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

type Env = Record<string, string | undefined>;

/** Names in OTEL_TRACES_EXPORTER, trimmed, without empty entries. */
export function namedTraceExporters(env: Env): string[] {
  return (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/**
 * Whether the environment asks for trace export. The OpenTelemetry SDK would default to OTLP on
 * localhost:4318; we export only when an OTLP endpoint or OTEL_TRACES_EXPORTER (other than "none")
 * is set.
 */
export function traceExportRequested(env: Env): boolean {
  const named = namedTraceExporters(env);
  if (named.length > 0) return named.some((name) => name !== 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

async function otlpExporter(env: Env): Promise<SpanExporter> {
  const protocol =
    (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim() ||
    'http/protobuf';
  switch (protocol) {
    case 'http/protobuf': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter();
    }
    case 'http/json': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter();
    }
    default:
      // gRPC would bring a whole gRPC stack into every service; Jaeger and the collector take both.
      throw new Error(
        `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use http/protobuf or http/json (port 4318)`,
      );
  }
}

/** The exporters OTEL_TRACES_EXPORTER names (otlp when only an endpoint is set). */
export async function traceExportersFromEnv(env: Env): Promise<SpanExporter[]> {
  if (!traceExportRequested(env)) return [];
  const names = namedTraceExporters(env);
  const exporters: SpanExporter[] = [];
  for (const name of names.length > 0 ? names : ['otlp']) {
    if (name === 'none') continue;
    if (name === 'otlp') exporters.push(await otlpExporter(env));
    else if (name === 'console') {
      const { ConsoleSpanExporter } = await import('@opentelemetry/sdk-trace-base');
      exporters.push(new ConsoleSpanExporter());
    } else {
      throw new Error(`OTEL_TRACES_EXPORTER=${name} is not supported: use otlp, console or none`);
    }
  }
  return exporters;
}
