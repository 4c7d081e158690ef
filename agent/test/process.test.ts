// The built program, as the lab runs it: node agent/dist/main.js --config <file>.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postCommand } from './helpers/agent-api.js';
import { FAKE_TOKEN, FakeIronic } from './helpers/fake-ironic.js';
import type { LabMachine } from './helpers/lab.js';
import { makeLabMachine } from './helpers/lab.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const main = join(repo, 'agent/dist/main.js');

beforeAll(() => {
  execFileSync('npx', ['tsc', '-b', 'agent'], { cwd: repo, stdio: 'pipe' });
}, 120_000);

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

interface Spawned {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

function spawnAgent(
  configPath: string,
  extraArgs: string[] = [],
  opts: { stdinPipe?: boolean } = {},
): Spawned {
  const child = spawn(process.execPath, [main, '--config', configPath, ...extraArgs], {
    stdio: [opts.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: opts.stdinPipe ? { ...process.env, INGOT_STOP_WITH_STDIN: '1' } : process.env,
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (c: Buffer) => stdout.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, stdout, stderr, exit };
}

async function labWithConfig(ironic: FakeIronic, overrides: Record<string, unknown> = {}) {
  const lab: LabMachine = await makeLabMachine(ironic.url);
  cleanups.push(() => lab.cleanup());
  const path = join(lab.dir, 'agent.json');
  await writeFile(path, JSON.stringify(lab.rawConfig(overrides)));
  return path;
}

async function fakeIronic(opts: ConstructorParameters<typeof FakeIronic>[0] = {}) {
  const ironic = await new FakeIronic({ heartbeatTimeout: 1, ...opts }).start();
  cleanups.push(() => ironic.stop());
  return ironic;
}

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('agent process', () => {
  it('exits with 80 after standby.power_off in the lab', async () => {
    const ironic = await fakeIronic();
    const agent = spawnAgent(await labWithConfig(ironic));
    await until(() => ironic.heartbeats.length > 0);
    const callback = ironic.heartbeats[0]!.body.callback_url as string;
    const answer = await postCommand(callback, FAKE_TOKEN, 'standby.power_off', {});
    expect(answer.status).toBe(200);
    expect(await agent.exit).toBe(80);
    const lines = agent.stdout
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => l.msg === 'lookup succeeded')).toBe(true);
    expect(agent.stdout.join('')).not.toContain(FAKE_TOKEN);
  });

  it('stops cleanly on SIGTERM', async () => {
    const ironic = await fakeIronic();
    const agent = spawnAgent(await labWithConfig(ironic));
    await until(() => ironic.heartbeats.length > 0);
    agent.child.kill('SIGTERM');
    expect(await agent.exit).toBe(0);
  });

  it('in the lab, stops when the stdin pipe from the lab closes (the lab died)', async () => {
    const ironic = await fakeIronic();
    const agent = spawnAgent(await labWithConfig(ironic), [], { stdinPipe: true });
    await until(() => ironic.heartbeats.length > 0);
    agent.child.stdin!.end();
    expect(await agent.exit).toBe(0);
  });

  it('exits with 1 when the token was already taken', async () => {
    const ironic = await fakeIronic({ lookupToken: '******' });
    const agent = spawnAgent(await labWithConfig(ironic));
    expect(await agent.exit).toBe(1);
    expect(agent.stdout.join('')).toContain('"level":"fatal"');
  });

  it('network-booted: finds its node by MAC with the API from --cmdline, and gets its token there', async () => {
    const ironic = await fakeIronic();
    const lab = await makeLabMachine(ironic.url);
    cleanups.push(() => lab.cleanup());
    const { api_url: _none, ...raw } = lab.rawConfig();
    const configPath = join(lab.dir, 'agent.json');
    await writeFile(configPath, JSON.stringify(raw));
    const cmdline = join(lab.dir, 'cmdline');
    await writeFile(
      cmdline,
      `initrd=agent.initrd ipa-api-url=${ironic.url} BOOTIF=01-52-54-00-00-01-01\n`,
    );
    const agent = spawnAgent(configPath, ['--cmdline', cmdline]);
    await until(() => ironic.heartbeats.length > 0);
    expect(ironic.lookups[0]!.query.get('addresses')).toContain('52:54:00:00:01:01');
    expect(ironic.lookups[0]!.query.has('node_uuid')).toBe(false);
    expect(ironic.heartbeats[0]!.body.agent_token).toBe(FAKE_TOKEN);
    const callback = ironic.heartbeats[0]!.body.callback_url as string;
    expect((await postCommand(callback, FAKE_TOKEN, 'standby.power_off', {})).status).toBe(200);
    expect(await agent.exit).toBe(80);
  });

  it('exits with 2 and names the bad fields of an invalid configuration', async () => {
    const ironic = await fakeIronic();
    const agent = spawnAgent(await labWithConfig(ironic, { api_url: 'nope', listen_port: -1 }));
    expect(await agent.exit).toBe(2);
    const stderr = agent.stderr.join('');
    expect(stderr).toContain('api_url: must be an http(s) URL');
    expect(stderr).toContain('listen_port: must be >= 0');
  });
});
