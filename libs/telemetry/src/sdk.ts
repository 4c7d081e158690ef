// Process-wide OpenTelemetry setup. Exporters come from the standard OTEL_* variables, but unlike
// NodeSDK's defaults nothing is exported (and nothing connects anywhere) unless asked for.
import { trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

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

/**
 * Whether the environment asks for trace export. NodeSDK would default to OTLP on localhost:4318;
 * we export only when an OTLP endpoint or OTEL_TRACES_EXPORTER (other than "none") is set.
 */
export function traceExportRequested(env: Env): boolean {
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (named.length > 0) return named.some((name) => name !== 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

function spanProcessorsFor(opts: TelemetryOptions): SpanProcessor[] | undefined {
  const explicit = [...(opts.spanProcessors ?? [])];
  if (opts.spanExporter) explicit.push(new BatchSpanProcessor(opts.spanExporter));
  if (explicit.length > 0) return explicit;
  // undefined lets NodeSDK build the exporters from OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_*.
  if (traceExportRequested(process.env)) return undefined;
  // A processor that drops everything still makes NodeSDK install a tracer provider, so spans
  // get real trace ids (for logs and propagation) while nothing is exported.
  return [new NoopSpanProcessor()];
}

function buildSdk(opts: TelemetryOptions): NodeSDK {
  return new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME || opts.serviceName,
    spanProcessors: spanProcessorsFor(opts),
    // Metrics are served by prom-client on /metrics, and logs go to stdout through pino: the
    // empty lists stop NodeSDK from defaulting to OTLP exporters for those signals.
    metricReaders: [],
    logRecordProcessors: [],
    // We create spans by hand; no auto-instrumentation patches modules behind our back.
    instrumentations: [],
    // Left unset on purpose: NodeSDK then registers an AsyncLocalStorageContextManager and the
    // W3C tracecontext + baggage propagators (or those named by OTEL_PROPAGATORS).
  });
}

async function forceFlushTracerProvider(): Promise<void> {
  // The API hands out a proxy; the SDK provider behind it is the one holding the processors.
  const provider: unknown = trace.getTracerProvider();
  const delegate =
    provider && typeof provider === 'object' && 'getDelegate' in provider
      ? (provider as { getDelegate(): unknown }).getDelegate()
      : provider;
  if (delegate && typeof delegate === 'object' && 'forceFlush' in delegate) {
    await (delegate as { forceFlush(): Promise<void> }).forceFlush();
  }
}

// Kept on globalThis so that two copies of this module (say src and dist) still share one SDK.
const started = Symbol.for('ingot.telemetry.started');
type ProcessSlot = { [started]?: Promise<TelemetryHandle> };

/**
 * Starts OpenTelemetry once per process; later calls return the first handle and ignore their
 * options. OTEL_SDK_DISABLED=true turns everything into no-ops (no trace ids in logs then).
 */
export function startTelemetry(opts: TelemetryOptions): Promise<TelemetryHandle> {
  const slot = globalThis as ProcessSlot;
  slot[started] ??= Promise.resolve()
    .then(() => {
      const sdk = buildSdk(opts);
      sdk.start();
      let shutdown: Promise<void> | undefined;
      return {
        forceFlush: forceFlushTracerProvider,
        shutdown: () => (shutdown ??= sdk.shutdown()),
      };
    })
    .catch((err: unknown) => {
      // A failed start must not stick: let the caller fix the config and try again.
      delete slot[started];
      throw err;
    });
  return slot[started];
}
