import { describe, expect, it } from 'vitest';
import { conductorConfigFromEnv } from '../src/config.js';
import { BmcCallError } from '../src/bmc-caller.js';
import { ImageCallError } from '../src/image-caller.js';
import {
  agentVerdict,
  firstAgentCheckAt,
  forgetEarlierAgents,
  nextRamdiskBoot,
  RAMDISK_BOOT,
} from '../src/operations/ramdisk-boot.js';
import { isTransient } from '../src/operations/retry.js';

const config = conductorConfigFromEnv({
  DATABASE_URL: 'postgres://unused',
  INGOT_SECRET_KEY: 'x'.repeat(32),
});
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const booted = (attempt = 1, s = 0) => ({
  driverInternalInfo: {
    [RAMDISK_BOOT]: { purpose: 'deploy', attempt, at: at(s).toISOString(), via: 'virtual media' },
  },
  agentContactAt: null as Date | null,
  agentLastHeartbeat: null as Date | null,
});

describe("the facts about a node's agent", () => {
  it('defaults: 600 s boot timeout, 3 boots, 300 s heartbeat timeout + 60 s grace, retries for 300 s from 5 s', () => {
    expect(config).toMatchObject({
      bootTimeoutMs: 600_000,
      bootAttempts: 3,
      agentHeartbeatTimeoutMs: 300_000,
      agentHeartbeatGraceMs: 60_000,
      transientRetry: { windowMs: 300_000, firstDelayMs: 5_000 },
    });
    // First look at the silence limit (360 s), before the boot timeout, so that an agent that
    // made contact and died at once is noticed then.
    expect(firstAgentCheckAt(config, at(0))).toEqual(at(360));
  });

  it('no contact: nothing to say before the boot timeout, then "no contact"', () => {
    expect(agentVerdict(config, booted(), at(360))).toEqual({ kind: 'later', at: at(600) });
    expect(agentVerdict(config, booted(2), at(600))).toMatchObject({
      kind: 'no contact',
      boot: { attempt: 2 },
    });
  });

  it('contact: alive until its last sign of life is older than the heartbeat timeout + grace', () => {
    const node = { ...booted(), agentContactAt: at(30), agentLastHeartbeat: at(200) };
    expect(agentVerdict(config, node, at(500))).toEqual({ kind: 'later', at: at(560) });
    expect(agentVerdict(config, node, at(560))).toEqual({
      kind: 'silent',
      boot: node.driverInternalInfo[RAMDISK_BOOT],
      lastContact: at(200),
      heartbeated: true,
    });
    const lookedUpOnly = { ...booted(), agentContactAt: at(30) };
    expect(agentVerdict(config, lookedUpOnly, at(400))).toMatchObject({
      kind: 'silent',
      heartbeated: false,
    });
  });

  it('no boot on record: nothing to watch', () => {
    expect(
      agentVerdict(
        config,
        { driverInternalInfo: {}, agentContactAt: null, agentLastHeartbeat: null },
        at(0),
      ),
    ).toEqual({ kind: 'unwatched' });
  });

  it('boots are counted per operation purpose, and a new boot forgets the earlier agent and its command', () => {
    expect(nextRamdiskBoot(booted(2), 'deploy', 'network', at(5))).toEqual({
      purpose: 'deploy',
      attempt: 3,
      at: at(5).toISOString(),
      via: 'network',
    });
    expect(nextRamdiskBoot(booted(2), 'clean', 'virtual media', at(5)).attempt).toBe(1);
    const node = {
      driverInternalInfo: {
        steps: { operation: 'clean', index: 1, list: [], command: { id: 'c1', step: 'x' } },
        other: 1,
      },
    };
    expect(forgetEarlierAgents(node)).toEqual({
      agentContactAt: null,
      agentLastHeartbeat: null,
      driverInternalInfo: { steps: { operation: 'clean', index: 1, list: [] }, other: 1 },
    });
  });

  it('transient: a BMC or power worker out of reach, an image cache that does not answer; not an answer', () => {
    expect(isTransient(new BmcCallError('BMC at x is unreachable', 'unreachable'))).toBe(true);
    expect(isTransient(new BmcCallError('no power worker answered', 'timeout'))).toBe(true);
    expect(isTransient(new ImageCallError('no image cache answered', 'timeout'))).toBe(true);
    expect(isTransient(new BmcCallError('refused the credentials', 'auth'))).toBe(false);
    expect(isTransient(new ImageCallError('Could not download', 'download'))).toBe(false);
    expect(isTransient(new Error('unreachable'))).toBe(false);
  });
});
