// Process-wide OpenTelemetry setup: a tracer provider with the W3C propagators and the exporters
// the standard OTEL_* variables name. Unlike the SDK's defaults nothing is exported (and nothing
// connects anywhere) unless asked for. Built from the trace SDK alone rather than NodeSDK, which
// loads the metrics and logs SDKs and every exporter (about 40 MiB per process) that Ingot, with
// prom-client metrics and pino logs, never uses.
import { diag, DiagConsoleLogger } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { traceExportersFromEnv } from './trace-exporters.js';
import { setSpansRecorded } from './tracing.js';

export { traceExportRequested } from './trace-exporters.js';

export interface TelemetryOptions {
  serviceName: string;
  /** Exported through a batch processor (OTEL_BSP_* apply). Replaces the exporters from env. */
  spanExporter?: SpanExporter;
  /** Replace the exporters from env, e.g. a SimpleSpanProcessor over an in-memory exporter. */
  spanProcessors?: SpanProcessor[];
}

export interface TelemetryHandle {
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

type Env = Record<string, string | undefined>;

async function spanProcessorsFor(opts: TelemetryOptions, env: Env): Promise<SpanProcessor[]> {
  const explicit = [...(opts.spanProcessors ?? [])];
  if (opts.spanExporter) explicit.push(new BatchSpanProcessor(opts.spanExporter));
  if (explicit.length > 0) return explicit;
  const exporters = await traceExportersFromEnv(env);
  if (exporters.length > 0) return exporters.map((exporter) => new BatchSpanProcessor(exporter));
  // A processor that drops everything still gives spans real trace ids (for logs and
  // propagation) while nothing is exported.
  return [new NoopSpanProcessor()];
}

/** tracecontext and baggage are the default (and the only ones Ingot's services speak). */
function checkPropagators(env: Env): void {
  const unsupported = (env.OTEL_PROPAGATORS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '' && !['tracecontext', 'baggage', 'none'].includes(name));
  if (unsupported.length > 0) {
    throw new Error(
      `OTEL_PROPAGATORS=${unsupported.join(',')} is not supported: use tracecontext,baggage`,
    );
  }
}

async function startTracing(opts: TelemetryOptions, env: Env): Promise<TelemetryHandle> {
  const noop = { forceFlush: async () => undefined, shutdown: async () => undefined };
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return noop;
  if (env.OTEL_LOG_LEVEL) {
    diag.setLogger(new DiagConsoleLogger(), {
      logLevel: diagLogLevelFromString(env.OTEL_LOG_LEVEL),
    });
  }
  checkPropagators(env);
  // OTEL_SERVICE_NAME wins over the code's name, OTEL_RESOURCE_ATTRIBUTES adds to it.
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector, processDetector, hostDetector] }))
    .merge(
      resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || opts.serviceName }),
    );
  const spanProcessors = await spanProcessorsFor(opts, env);
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  // Registers the AsyncLocalStorage context manager and the W3C tracecontext + baggage propagators.
  provider.register(env.OTEL_PROPAGATORS?.trim() === 'none' ? { propagator: null } : undefined);
  setSpansRecorded(!spanProcessors.every((p) => p instanceof NoopSpanProcessor));
  let shutdown: Promise<void> | undefined;
  return {
    forceFlush: () => provider.forceFlush(),
    shutdown: () => (shutdown ??= provider.shutdown()),
  };
}

// Kept on globalThis so that two copies of this module (say src and dist) still share one provider.
const started = Symbol.for('ingot.telemetry.started');
type ProcessSlot = { [started]?: Promise<TelemetryHandle> };

/**
 * Starts OpenTelemetry once per process; later calls return the first handle and ignore their
 * options. OTEL_SDK_DISABLED=true turns everything into no-ops (no trace ids in logs then).
 */
export function startTelemetry(opts: TelemetryOptions): Promise<TelemetryHandle> {
  const slot = globalThis as ProcessSlot;
  slot[started] ??= startTracing(opts, process.env).catch((err: unknown) => {
    // A failed start must not stick: let the caller fix the config and try again.
    delete slot[started];
    throw err;
  });
  return slot[started];
}
