import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@ingot/telemetry';
import type { Bus } from '../src/index.js';
import {
  Requester,
  startResponder,
  type CommandReply,
  type RunningConsumer,
} from '../src/index.js';
import { freshBus } from './fresh-bus.js';

const Echo = Type.Object({
  id: Type.String(),
  type: Type.Literal('echo'),
  site: Type.String(),
  node_uuid: Type.String(),
  request_id: Type.Optional(Type.String()),
  issued_at: Type.String(),
  expires_at: Type.Optional(Type.String()),
  payload: Type.Object({ text: Type.String() }),
});
type EchoReply = CommandReply & { text?: string; error?: string };

const logger = createLogger('request-reply-test', { level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function requester(bus: Bus): Requester<EchoReply> {
  const r = new Requester<EchoReply>(bus, `caller-${randomBytes(3).toString('hex')}`);
  cleanups.push(async () => r.close());
  return r;
}

async function responder(
  bus: Bus,
  answer: (text: string) => Promise<EchoReply | string>,
  extra: { onExpired?: () => void } = {},
): Promise<RunningConsumer> {
  const consumer = await startResponder(bus, {
    durable: 'echo',
    subject: bus.subjects.power('site1'),
    schema: Echo,
    what: 'echo command',
    logger,
    maxDeliver: 2,
    backoffMs: [50],
    answer: async (cmd) => {
      const result = await answer(cmd.payload.text);
      return typeof result === 'string' ? { command_id: cmd.id, ok: true, text: result } : result;
    },
    giveUpAnswer: (cmd, reason) => ({ command_id: cmd.id, ok: false, error: reason }),
    onExpired: extra.onExpired,
  });
  // A responder that never answers would otherwise hold the cleanup for the whole grace period.
  cleanups.push(() => consumer.stop(200));
  return consumer;
}

const target = { site: 'site1', node_uuid: 'node-1', request_id: 'req-1' };
const timeout = (what: string) => () => new Error(`no answer to ${what}`);

describe('request/reply over the bus', () => {
  it('a command reaches a worker through JetStream and its answer comes back to the caller', async () => {
    const bus = await freshBus(cleanups);
    const seen: string[] = [];
    await responder(bus, async (text) => {
      seen.push(text);
      return text.toUpperCase();
    });
    const caller = requester(bus);
    const answers = await Promise.all(
      ['a', 'b', 'c'].map((text) =>
        caller.request(
          bus.subjects.power('site1'),
          target,
          { type: 'echo', payload: { text } },
          5_000,
          timeout(text),
        ),
      ),
    );
    expect(answers.map((a) => a.text)).toEqual(['A', 'B', 'C']);
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
  });

  it('a worker that keeps failing answers with the give-up reply instead of leaving the caller waiting', async () => {
    const bus = await freshBus(cleanups);
    await responder(bus, async () => {
      throw new Error('disk on fire');
    });
    const answer = await requester(bus).request(
      bus.subjects.power('site1'),
      target,
      { type: 'echo', payload: { text: 'x' } },
      10_000,
      timeout('x'),
    );
    expect(answer.ok).toBe(false);
    expect(answer.error).toBe('failed 2 times: disk on fire');
  });

  it('a command that expired before a worker took it is dropped, not carried out', async () => {
    const bus = await freshBus(cleanups);
    const caller = requester(bus);
    // No worker yet: the command waits in the stream past its expiry.
    await expect(
      caller.request(
        bus.subjects.power('site1'),
        target,
        { type: 'echo', payload: { text: 'late' } },
        300,
        timeout('late'),
      ),
    ).rejects.toThrow('no answer to late');
    let expired = 0;
    const carried: string[] = [];
    await responder(
      bus,
      async (text) => {
        carried.push(text);
        return text;
      },
      { onExpired: () => expired++ },
    );
    const until = Date.now() + 5_000;
    while (expired === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(expired).toBe(1);
    expect(carried).toEqual([]);
  });

  it('a subject no stream takes is retried until the deadline, then fails naming the cause', async () => {
    const bus = await freshBus(cleanups);
    const started = Date.now();
    await expect(
      requester(bus).request(
        `${bus.subjects.prefix}.nowhere`,
        target,
        { type: 'echo', payload: { text: 'x' } },
        1_500,
        timeout('x'),
      ),
    ).rejects.toThrow(/no answer to x \(the bus did not take the command: .+\)/);
    // Retried (100 + 250 + 500 ms of backoff) and given up before a retry would pass the deadline.
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(850);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('closing the requester fails the requests still waiting at once, not at their timeout', async () => {
    const bus = await freshBus(cleanups);
    await responder(bus, () => new Promise<string>(() => undefined)); // never answers
    const caller = requester(bus);
    const pending = caller.request(
      bus.subjects.power('site1'),
      target,
      { type: 'echo', payload: { text: 'x' } },
      60_000,
      timeout('x'),
    );
    await new Promise((r) => setTimeout(r, 200));
    const closedAt = Date.now();
    caller.close('the caller is stopping');
    await expect(pending).rejects.toThrow('the caller is stopping');
    expect(Date.now() - closedAt).toBeLessThan(500);
  });
});
