export { startTelemetry } from './sdk.js';
export type { TelemetryHandle, TelemetryOptions } from './sdk.js';
export { createLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export {
  activeTraceparent,
  contextOfTraceparent,
  currentTraceId,
  extractTraceContext,
  injectTraceContext,
  linkToActive,
  recordPastSpan,
  recordingSpanContext,
  setActiveSpanAttributes,
  setSpansRecorded,
  spansRecorded,
  tracer,
  withDetailSpan,
  withFanInSpan,
  withSpan,
} from './tracing.js';
export type { SpanOptions } from './tracing.js';
export { SpanKind } from '@opentelemetry/api';
export type { SpanContext } from '@opentelemetry/api';
export { counter, gauge, histogram, metrics, metricsContentType, metricsText } from './metrics.js';
export { startOpsServer } from './ops-server.js';
export type { HealthReport, OpsServer, OpsServerOptions } from './ops-server.js';
