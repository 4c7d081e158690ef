// rescue.finalize_rescue as Ironic's AgentRescue sends it: the hash written for the rescue user,
// then the agent stops heartbeating and serving, and leaves (lab: exit code 83, machine left on).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { encrypt, verify } from 'unixcrypt';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../src/index.js';
import { EXIT_CODES, exitCodeFor, silentSink, startAgent } from '../src/index.js';
import { postCommand } from './helpers/agent-api.js';
import { FAKE_TOKEN, FakeIronic } from './helpers/fake-ironic.js';
import { makeLabMachine, type LabMachine } from './helpers/lab.js';

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function started(): Promise<{ agent: RunningAgent; lab: LabMachine; ironic: FakeIronic }> {
  const ironic = await new FakeIronic({ heartbeatTimeout: 1 }).start();
  cleanups.push(() => ironic.stop());
  const lab = await makeLabMachine(ironic.url);
  cleanups.push(() => lab.cleanup());
  const agent = await startAgent(lab.config(), { logSink: silentSink, departureDelayMs: 50 });
  cleanups.push(() => agent.stop());
  return { agent, lab, ironic };
}

const url = (agent: RunningAgent) => `http://127.0.0.1:${agent.port}`;

describe('rescue.finalize_rescue', () => {
  it('writes the hash Ironic sent for the rescue user, then stops heartbeating and leaves with code 83', async () => {
    const { agent, lab, ironic } = await started();
    const hash = encrypt('rescue-me-please');
    const answer = await postCommand(url(agent), FAKE_TOKEN, 'rescue.finalize_rescue', {
      rescue_password: hash,
      hashed: true,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      command_name: 'finalize_rescue',
      command_status: 'SUCCEEDED',
      // Not shown back, as IPA masks it.
      command_params: { rescue_password: '******', hashed: true },
    });
    const file = join(lab.dir, 'work', 'ipa-rescue-password');
    expect(await readFile(file, 'utf8')).toBe(hash);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // No command gets in any more; the agent leaves, its heartbeats stop.
    expect((await postCommand(url(agent), FAKE_TOKEN, 'poll.get_hardware_info', {})).status).toBe(
      401,
    );
    expect(await agent.exited).toBe(83);
    const beats = ironic.heartbeats.length;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(ironic.heartbeats.length).toBe(beats);
    expect(exitCodeFor('rescue')).toBe(EXIT_CODES.rescued);
  });

  it('hashes a clear password itself with SHA-256 crypt, as IPA does for an old conductor', async () => {
    const { agent, lab } = await started();
    const answer = await postCommand(url(agent), FAKE_TOKEN, 'rescue.finalize_rescue', {
      rescue_password: 'old-style-password',
    });
    expect(answer.body.command_status).toBe('SUCCEEDED');
    const written = await readFile(join(lab.dir, 'work', 'ipa-rescue-password'), 'utf8');
    expect(written).toMatch(/^\$5\$[./0-9A-Za-z]{16}\$/);
    expect(verify('old-style-password', written)).toBe(true);
  });

  it('refuses a missing password, a hashed one that is no crypt hash, and a hashed flag that is not boolean', async () => {
    const { agent } = await started();
    for (const params of [
      {},
      { rescue_password: '' },
      { rescue_password: 'plain', hashed: true },
      { rescue_password: 'plain', hashed: 'yes' },
    ]) {
      const answer = await postCommand(url(agent), FAKE_TOKEN, 'rescue.finalize_rescue', params);
      expect(answer.status, JSON.stringify(params)).toBe(400);
      expect(answer.body.type).toBe('InvalidCommandParamsError');
    }
  });
});
