// startTelemetry is once per process; vitest runs each test file in its own process, so this file
// owns an SDK that exports to memory.
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  currentTraceId,
  extractTraceContext,
  injectTraceContext,
  startTelemetry,
  withSpan,
} from '../src/index.js';
import type { TelemetryHandle } from '../src/index.js';

const exporter = new InMemorySpanExporter();
let telemetry: TelemetryHandle;

beforeAll(async () => {
  telemetry = await startTelemetry({
    serviceName: 'tracing-test',
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
});

beforeEach(() => exporter.reset());

// SimpleSpanProcessor may wait for async resource attributes before exporting, so flush first.
async function finished(name: string) {
  await telemetry.forceFlush();
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  if (!span) throw new Error(`span ${name} was not exported`);
  return span;
}

describe('startTelemetry', () => {
  it('returns the same handle when called again', async () => {
    expect(await startTelemetry({ serviceName: 'other' })).toBe(telemetry);
  });

  it('registers W3C tracecontext and baggage propagators', () => {
    expect(propagation.fields()).toEqual(expect.arrayContaining(['traceparent', 'baggage']));
  });

  it('names the resource after the service', async () => {
    await withSpan('resource', {}, async () => {});
    expect((await finished('resource')).resource.attributes['service.name']).toBe('tracing-test');
  });
});

describe('withSpan', () => {
  it('exports parent and child in one trace, across awaits', async () => {
    const result = await withSpan('parent', { kind: SpanKind.SERVER }, async () => {
      await sleep(5);
      return withSpan('child', { attributes: { 'ingot.node': 'n1' } }, async () => {
        await sleep(5);
        return 42;
      });
    });

    expect(result).toBe(42);
    const parent = await finished('parent');
    const child = await finished('child');
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(parent.kind).toBe(SpanKind.SERVER);
    expect(child.attributes['ingot.node']).toBe('n1');
  });

  it('records a failure, sets ERROR and still ends the span', async () => {
    await expect(
      withSpan('fails', {}, async () => {
        throw new Error('bmc unreachable');
      }),
    ).rejects.toThrow('bmc unreachable');

    const span = await finished('fails');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bmc unreachable' });
    expect(span.events.map((e) => e.name)).toContain('exception');
    expect(span.ended).toBe(true);
  });

  it('exposes the trace id of the active span only', async () => {
    expect(currentTraceId()).toBeUndefined();
    await withSpan('active', {}, async (span) => {
      expect(currentTraceId()).toBe(span.spanContext().traceId);
    });
    expect(currentTraceId()).toBeUndefined();
  });
});

describe('trace context propagation', () => {
  it('keeps the trace id across a simulated hop through a header object', async () => {
    const headers: Record<string, string> = {};
    const sent = await withSpan('publish', { kind: SpanKind.PRODUCER }, async (span) => {
      injectTraceContext((key, value) => (headers[key] = value));
      return span.spanContext();
    });
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // The receiving side: only the headers travel.
    const parent = extractTraceContext((key) => headers[key]);
    await withSpan('consume', { kind: SpanKind.CONSUMER, parent }, async () => {
      expect(currentTraceId()).toBe(sent.traceId);
    });
    expect((await finished('consume')).parentSpanContext?.spanId).toBe(sent.spanId);
  });

  it('starts a new trace when the carrier has no trace context', async () => {
    const parent = extractTraceContext(() => undefined);
    await withSpan('orphan', { parent }, async () => {});
    expect((await finished('orphan')).parentSpanContext).toBeUndefined();
  });

  it('injects the given context rather than the active one', async () => {
    const span = trace.getTracer('test').startSpan('elsewhere');
    const headers: Record<string, string> = {};
    injectTraceContext(
      (key, value) => (headers[key] = value),
      trace.setSpan(
        extractTraceContext(() => undefined),
        span,
      ),
    );
    span.end();
    expect(headers.traceparent).toContain(span.spanContext().traceId);
  });
});

describe('logger inside a span', () => {
  it('writes trace_id and span_id of the active span', async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const log = createLogger('tracing-test', { destination });

    const ids = await withSpan('logging', {}, async (span) => {
      log.info('inside');
      return span.spanContext();
    });
    log.info('outside');

    expect(lines[0]).toMatchObject({ msg: 'inside', trace_id: ids.traceId, span_id: ids.spanId });
    expect(lines[1]).not.toHaveProperty('trace_id');
  });
});
