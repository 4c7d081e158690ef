// A group-committed statement is one span however many callers it serves: a child of the first
// traced caller and linked to the others. Own file: startTelemetry is once per process.
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordingSpanContext, startTelemetry, withSpan } from '@ingot/telemetry';
import type { SpanContext, TelemetryHandle } from '@ingot/telemetry';
import { Batcher } from '../src/batcher.js';

const exporter = new InMemorySpanExporter();
let telemetry: TelemetryHandle;

beforeAll(async () => {
  telemetry = await startTelemetry({
    serviceName: 'batcher-test',
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
});

describe('Batcher spans', () => {
  it('one span per statement, parented to its first caller and linked to the rest', async () => {
    const statements: string[][] = [];
    let release!: () => void;
    const firstRuns = new Promise<void>((resolve) => (release = resolve));
    const batcher = new Batcher<string, string>(
      async (uuids) => {
        // The first statement holds its slot until the others queued: they share the second.
        if (statements.push(uuids) === 1) await firstRuns;
        return uuids;
      },
      { maxBatch: 10, maxInFlight: 1, span: { operation: 'UPDATE', collection: 'nodes' } },
    );
    const callers = new Map<string, SpanContext>();
    const submit = (uuid: string) =>
      withSpan(`task ${uuid}`, {}, () => {
        callers.set(uuid, recordingSpanContext()!);
        return batcher.submit(uuid);
      });
    const first = submit('n0');
    const rest = ['n1', 'n2', 'n3'].map(submit);
    release();
    expect(await Promise.all([first, ...rest])).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(statements).toEqual([['n0'], ['n1', 'n2', 'n3']]);

    await telemetry.forceFlush();
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'UPDATE nodes');
    expect(spans).toHaveLength(2);
    const batch = spans.find((s) => s.attributes['db.operation.batch.size'] === 3)!;
    expect(batch.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.operation.name': 'UPDATE',
      'db.collection.name': 'nodes',
    });
    expect(batch.parentSpanContext?.spanId).toBe(callers.get('n1')!.spanId);
    expect(batch.links.map((l) => l.context.spanId)).toEqual([
      callers.get('n2')!.spanId,
      callers.get('n3')!.spanId,
    ]);
  });
});
