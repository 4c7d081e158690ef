import {
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Span,
} from '@opentelemetry/api';
import { isBmcError } from '../errors.js';
import type { RedfishConfig } from './driver-config.js';

const tracer = trace.getTracer('ingot-drivers');

/**
 * Runs one BMC HTTP call inside a CLIENT span and hands it the W3C trace headers to send, so a
 * trace reaches from the API request down to the BMC. Without an SDK all of this is a no-op.
 */
export function withClientSpan<T>(
  config: RedfishConfig,
  method: string,
  path: string,
  call: (span: Span, traceHeaders: Record<string, string>) => Promise<T>,
): Promise<T> {
  const attributes = {
    'http.request.method': method,
    // Credentials never travel in the URL, so the full URL is safe to record.
    'url.full': `${config.origin}${path}`,
    'server.address': config.hostname,
    'server.port': config.port,
  };
  return tracer.startActiveSpan(
    `redfish ${method} ${path}`,
    { kind: SpanKind.CLIENT, attributes },
    async (span) => {
      const traceHeaders: Record<string, string> = {};
      // The span is set explicitly so injection works even without a context manager.
      propagation.inject(trace.setSpan(context.active(), span), traceHeaders);
      try {
        return await call(span, traceHeaders);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        span.recordException(error);
        span.setAttribute('error.type', isBmcError(err) ? err.kind : error.name);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** Records the answer's status; 4xx and 5xx mark the client span as failed. */
export function recordStatus(span: Span, status: number): void {
  span.setAttribute('http.response.status_code', status);
  if (status >= 400) {
    span.setAttribute('error.type', String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}
