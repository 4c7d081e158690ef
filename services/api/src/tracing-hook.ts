import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { extractTraceContext, tracer } from '@ingot/telemetry';

const spans = new WeakMap<object, Span>();

/**
 * Starts a SERVER span per request, continuing the caller's W3C trace context, and runs the rest
 * of the request inside it so that outbox rows and logs carry the same trace id.
 */
export function registerTracing(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const parent = extractTraceContext(
      (key) => request.headers[key] as string | string[] | undefined,
    );
    const span = tracer.startSpan(
      `${request.method} ${request.routeOptions.url ?? request.url}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.split('?')[0] ?? '',
        },
      },
      parent,
    );
    spans.set(request, span);
    reply.header('traceparent', `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
