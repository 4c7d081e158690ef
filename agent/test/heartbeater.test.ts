// Heartbeat cadence, with a stub API client and fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IronicClient } from '../src/ironic/api-client.js';
import { Heartbeater } from '../src/ironic/heartbeater.js';
import { AgentLogger, silentSink } from '../src/log.js';

function stubClient(statuses: number[]) {
  const calls: { at: number; body: Record<string, unknown> }[] = [];
  const client = {
    heartbeat: async (_uuid: string, body: Record<string, unknown>) => {
      calls.push({ at: Date.now(), body });
      const status = statuses.shift() ?? 202;
      return { status, body: null, text: '' };
    },
  } as unknown as IronicClient;
  return { client, calls };
}

function heartbeater(client: IronicClient, random = 0) {
  return new Heartbeater({
    client,
    nodeUuid: 'node',
    callbackUrl: 'http://127.0.0.1:9999',
    token: 't'.repeat(40),
    heartbeatTimeoutS: 100,
    minGapS: 5,
    log: new AgentLogger(silentSink),
    random: () => random,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('heartbeater', () => {
  it('beats every heartbeat_timeout × U(0.3, 0.6)', async () => {
    const { client, calls } = stubClient([]);
    const beats = heartbeater(client, 0.5); // 100 s × 0.45
    beats.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(44_900);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toHaveLength(2);
    beats.stop();
  });

  it('comes back in 5–10 s after a 409', async () => {
    const { client, calls } = stubClient([409]);
    const beats = heartbeater(client, 0); // the 5 s end of the range
    beats.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(4_900);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toHaveLength(2);
    beats.stop();
  });

  it('backs off on errors, doubling', async () => {
    const { client, calls } = stubClient([500, 500, 500]);
    const beats = heartbeater(client);
    beats.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(2_000);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(calls.map((c) => c.at - calls[0]!.at)).toEqual([0, 1_000, 3_000, 7_000]);
    beats.stop();
  });

  it('forces a beat, but not sooner than min_heartbeat_gap_s after the last', async () => {
    const { client, calls } = stubClient([]);
    const beats = heartbeater(client);
    beats.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1_000);
    beats.force();
    await vi.advanceTimersByTimeAsync(3_900);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.body).toMatchObject({
      callback_url: 'http://127.0.0.1:9999',
      agent_version: '0.1.0',
    });
    beats.stop();
    beats.force();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(2);
  });
});
