// The fine-grained spans: made only when exported, fan-in spans for batches, spans recorded after
// the fact (waits). Own file: startTelemetry is once per process, here with an in-memory exporter.
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  activeTraceparent,
  contextOfTraceparent,
  recordingSpanContext,
  recordPastSpan,
  spansRecorded,
  startTelemetry,
  withDetailSpan,
  withFanInSpan,
  withSpan,
} from '../src/index.js';
import type { SpanContext, TelemetryHandle } from '../src/index.js';

const exporter = new InMemorySpanExporter();
let telemetry: TelemetryHandle;

beforeAll(async () => {
  telemetry = await startTelemetry({
    serviceName: 'detail-spans-test',
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
});
beforeEach(() => exporter.reset());

async function exported() {
  await telemetry.forceFlush();
  return exporter.getFinishedSpans();
}

describe('with an exporter', () => {
  it('records detail spans, as children of the active span', async () => {
    expect(spansRecorded()).toBe(true);
    await withSpan('task', {}, () => withDetailSpan('detail', {}, async () => undefined));
    const spans = await exported();
    const task = spans.find((s) => s.name === 'task')!;
    const detail = spans.find((s) => s.name === 'detail')!;
    expect(detail.parentSpanContext?.spanId).toBe(task.spanContext().spanId);
  });

  it('makes one span for a batch: a child of the first traced caller, linked to the others', async () => {
    const callers: SpanContext[] = [];
    for (const name of ['a', 'b', 'c'])
      await withSpan(name, {}, async () => void callers.push(recordingSpanContext()!));
    await withFanInSpan('UPDATE nodes', [undefined, ...callers], {}, async () => undefined);
    const batch = (await exported()).filter((s) => s.name === 'UPDATE nodes');
    expect(batch).toHaveLength(1);
    expect(batch[0]!.spanContext().traceId).toBe(callers[0]!.traceId);
    expect(batch[0]!.parentSpanContext?.spanId).toBe(callers[0]!.spanId);
    expect(batch[0]!.links.map((l) => l.context.spanId)).toEqual([
      callers[1]!.spanId,
      callers[2]!.spanId,
    ]);
  });

  it('makes no span for a batch without a traced caller (it starts no trace)', async () => {
    let active: unknown = 'unset';
    await withFanInSpan('UPDATE nodes', [undefined], {}, async () => {
      active = trace.getActiveSpan();
    });
    expect(active).toBeUndefined();
    expect(await exported()).toEqual([]);
  });

  it('records a span that began earlier, in a trace kept as a traceparent', async () => {
    const traceparent = await withSpan('began the wait', {}, async () => activeTraceparent()!);
    const parent = contextOfTraceparent(traceparent)!;
    const since = new Date(Date.now() - 60_000);
    recordPastSpan('node in wait call-back', { parent, startTime: since, error: 'timed out' });
    const wait = (await exported()).find((s) => s.name === 'node in wait call-back')!;
    expect(`00-${wait.spanContext().traceId}-${wait.parentSpanContext?.spanId}-01`).toBe(
      traceparent,
    );
    expect(wait.startTime[0]).toBe(Math.floor(since.getTime() / 1000));
    expect(wait.status.code).toBe(2);
    expect(contextOfTraceparent('00-nonsense')).toBeUndefined();
  });
});
