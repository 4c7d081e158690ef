import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { trace } from '@opentelemetry/api';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, currentTraceId, startTelemetry, withSpan } from '@ingot/telemetry';
import { createScratchDatabase, enqueueOutbox, openDatabase, OutboxRelay } from '@ingot/store';
import { Bus, RetryLater, startConsumer, type RunningConsumer } from '../src/index.js';
import { freshBus } from './fresh-bus.js';

const Ping = Type.Object({ id: Type.String(), n: Type.Integer() });
const logger = createLogger('bus-test', { level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];

async function consume(
  bus: Bus,
  opts: Partial<Parameters<typeof startConsumer<typeof Ping>>[1]>,
): Promise<RunningConsumer> {
  const consumer = await startConsumer(bus, {
    durable: 'worker',
    subject: bus.subjects.power('site1'),
    schema: Ping,
    what: 'ping',
    logger,
    handle: async () => undefined,
    backoffMs: [50],
    ...opts,
  });
  cleanups.push(() => consumer.stop());
  return consumer;
}

const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeAll(async () => {
  await startTelemetry({ serviceName: 'bus-test' });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('bus', () => {
  it('creating the streams again (another service starting) changes nothing', async () => {
    const bus = await freshBus(cleanups);
    const again = await Bus.connect({ prefix: bus.subjects.prefix });
    await again.close();
    const info = await bus.jsm.streams.info(bus.subjects.commandStream);
    expect(info.config.retention).toBe('workqueue');
  });

  it('a handled message is acknowledged and leaves the work queue', async () => {
    const bus = await freshBus(cleanups);
    const seen: number[] = [];
    await consume(bus, { handle: async (m) => void seen.push(m.n) });
    await bus.publish(bus.subjects.power('site1'), { id: 'a', n: 1 });
    await until(() => seen.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    const info = await bus.jsm.streams.info(bus.subjects.commandStream);
    expect(info.state.messages).toBe(0);
  });

  it('a failing handler is retried with backoff until it succeeds', async () => {
    const bus = await freshBus(cleanups);
    let attempts = 0;
    await consume(bus, {
      handle: async () => {
        attempts += 1;
        if (attempts < 3) throw new Error('transient');
      },
    });
    await bus.publish(bus.subjects.power('site1'), { id: 'a', n: 1 });
    await until(() => attempts === 3);
  });

  it('after the last allowed delivery the give-up hook runs once and the message is not redelivered', async () => {
    const bus = await freshBus(cleanups);
    let attempts = 0;
    const gaveUp: unknown[] = [];
    await consume(bus, {
      maxDeliver: 3,
      handle: async () => {
        attempts += 1;
        throw new RetryLater('never ready', 20);
      },
      onGiveUp: async (m, error, ctx) =>
        void gaveUp.push([m.id, (error as Error).message, ctx.deliveryCount]),
    });
    await bus.publish(bus.subjects.power('site1'), { id: 'doomed', n: 1 });
    await until(() => gaveUp.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(attempts).toBe(3);
    expect(gaveUp).toEqual([['doomed', 'never ready', 3]]);
  });

  it('a stopping consumer waits its grace period, then hands unfinished messages back to another replica at once', async () => {
    const bus = await freshBus(cleanups);
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const outcomes: string[] = [];
    const first = await consume(bus, {
      // Far beyond the test: only a hand-back makes the message come again in time.
      ackWaitMs: 60_000,
      handle: async () => {
        outcomes.push('first started');
        await stuck;
        outcomes.push('first finished late');
      },
    });
    await bus.publish(bus.subjects.power('site1'), { id: 'slow', n: 1 });
    await until(() => outcomes.length === 1);
    const stopAt = Date.now();
    await first.stop(300);
    expect(Date.now() - stopAt).toBeLessThan(2_000);

    const deliveries: number[] = [];
    await consume(bus, { handle: async (_m, ctx) => void deliveries.push(ctx.deliveryCount) });
    // Long before the 60 s ack wait: it was handed back, not left to expire.
    await until(() => deliveries.length === 1, 5_000);
    // The first handler ending after the hand-back neither acknowledges nor retries the message.
    release();
    await new Promise((r) => setTimeout(r, 300));
    expect(outcomes).toEqual(['first started', 'first finished late']);
    expect(deliveries).toHaveLength(1);
  });

  it('an invalid message is dropped without reaching the handler', async () => {
    const bus = await freshBus(cleanups);
    const seen: unknown[] = [];
    await consume(bus, { handle: async (m) => void seen.push(m) });
    await bus.publish(bus.subjects.power('site1'), { id: 'bad', n: 'one' });
    await bus.publish(bus.subjects.power('site1'), { id: 'good', n: 2 });
    await until(() => seen.length === 1);
    expect(seen).toEqual([{ id: 'good', n: 2 }]);
  });

  it('the handler runs in the trace of the publisher', async () => {
    const bus = await freshBus(cleanups);
    const traces: (string | undefined)[] = [];
    await consume(bus, { handle: async () => void traces.push(currentTraceId()) });
    let published: string | undefined;
    await withSpan('publisher', {}, async () => {
      published = trace.getActiveSpan()?.spanContext().traceId;
      await bus.publish(bus.subjects.power('site1'), { id: 'a', n: 1 });
    });
    await until(() => traces.length === 1);
    expect(published).toMatch(/^[0-9a-f]{32}$/);
    expect(traces[0]).toBe(published);
  });

  it('the outbox relay publishes with Nats-Msg-Id, so re-publishing a row after a crash is dropped', async () => {
    const bus = await freshBus(cleanups);
    const scratch = await createScratchDatabase();
    const database = openDatabase(scratch.url);
    cleanups.push(async () => {
      await database.close();
      await scratch.drop();
    });
    const seen: number[] = [];
    await consume(bus, { handle: async (m) => void seen.push(m.n) });
    const publish = async (m: {
      id: string;
      subject: string;
      payload: unknown;
      headers: Record<string, string>;
    }) => {
      await bus.publish(m.subject, m.payload, { msgId: m.id, headers: m.headers });
    };
    const id = randomUUID();
    await enqueueOutbox(database.db, [
      { id, subject: bus.subjects.power('site1'), payload: { id, n: 7 } },
    ]);
    const relay = new OutboxRelay({ db: database.db, url: scratch.url, publish });
    await relay.start();
    await relay.flush();
    await relay.stop();
    // A relay that died after publishing but before marking the row publishes it again.
    const ack = await bus.publish(bus.subjects.power('site1'), { id, n: 7 }, { msgId: id });
    expect(ack.duplicate).toBe(true);
    await until(() => seen.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual([7]);
  });
});
