// The agent against a fake Ironic: inspection, lookup, token rules, heartbeats, command API.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../src/index.js';
import { AgentFatalError, EXIT_CODES, exitCodeFor, silentSink, startAgent } from '../src/index.js';
import { FAKE_TOKEN, FakeIronic } from './helpers/fake-ironic.js';
import { FileServer } from './helpers/file-server.js';
import type { LabMachine } from './helpers/lab.js';
import { LAB_MACS, makeLabMachine } from './helpers/lab.js';
import { postCommand, waitForCommand } from './helpers/agent-api.js';

const PREGENERATED = 'p'.repeat(40);

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setUp(opts: ConstructorParameters<typeof FakeIronic>[0] = {}) {
  const ironic = await new FakeIronic(opts).start();
  cleanups.push(() => ironic.stop());
  const lab = await makeLabMachine(ironic.url);
  cleanups.push(() => lab.cleanup());
  return { ironic, lab };
}

async function run(
  lab: LabMachine,
  overrides: Record<string, unknown> = {},
): Promise<RunningAgent> {
  const agent = await startAgent(lab.config(overrides), {
    logSink: silentSink,
    departureDelayMs: 20,
  });
  cleanups.push(() => agent.stop());
  return agent;
}

const agentUrl = (agent: RunningAgent) => `http://127.0.0.1:${agent.port}`;

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('lookup and heartbeats', () => {
  it('retries a 404 lookup with backoff, then heartbeats with its callback URL and token', async () => {
    const { ironic, lab } = await setUp({ lookupFailures: 3, heartbeatTimeout: 1 });
    const agent = await run(lab);

    expect(ironic.lookups).toHaveLength(4);
    for (const lookup of ironic.lookups) {
      expect(lookup.query.get('addresses')).toBe(LAB_MACS.join(','));
      expect(lookup.headers['x-openstack-ironic-api-version']).toBe('1.62');
    }
    const gaps = ironic.lookups.slice(1).map((l, i) => l.at - ironic.lookups[i]!.at);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!); // the interval doubles
    expect(agent.nodeUuid).toBe(ironic.nodeUuid);

    // heartbeat_timeout 1 s → a beat every 0.3–0.6 s.
    await until(() => ironic.heartbeats.length >= 2);
    const beat = ironic.heartbeats[0]!;
    expect(beat.body).toEqual({
      callback_url: `http://127.0.0.1:${agent.port}`,
      agent_version: '0.1.0',
      agent_token: FAKE_TOKEN,
    });
    expect(beat.headers['x-openstack-ironic-api-version']).toBe('1.68');
  });

  it('never logs the token', async () => {
    const { ironic, lab } = await setUp({ heartbeatTimeout: 1 });
    const lines: string[] = [];
    const agent = await startAgent(lab.config({ agent_token: PREGENERATED }), {
      logSink: { write: (line) => lines.push(line) },
    });
    cleanups.push(() => agent.stop());
    await until(() => ironic.heartbeats.length >= 1);
    await postCommand(agentUrl(agent), FAKE_TOKEN, 'clean.get_clean_steps', {
      node: {},
      ports: [],
    });
    const all = lines.join('');
    expect(all).toContain('lookup succeeded');
    expect(all).not.toContain(FAKE_TOKEN);
    expect(all).not.toContain(PREGENERATED);
  });

  it('refuses to run when the token was already retrieved and none was pregenerated', async () => {
    const { ironic, lab } = await setUp({ lookupToken: '******' });
    await expect(startAgent(lab.config(), { logSink: silentSink })).rejects.toThrow(
      AgentFatalError,
    );
    await expect(startAgent(lab.config(), { logSink: silentSink })).rejects.toThrow(
      /already retrieved/,
    );
    expect(ironic.heartbeats).toHaveLength(0);
  });

  it('uses its pregenerated token when the lookup masks it', async () => {
    const { ironic, lab } = await setUp({ lookupToken: '******', heartbeatTimeout: 1 });
    const agent = await run(lab, { agent_token: PREGENERATED });
    await until(() => ironic.heartbeats.length >= 1);
    expect(ironic.heartbeats[0]!.body.agent_token).toBe(PREGENERATED);
    const ok = await postCommand(agentUrl(agent), PREGENERATED, 'clean.get_clean_steps', {});
    expect(ok.status).toBe(200);
  });

  it('gives up after lookup_timeout_s', async () => {
    const { lab } = await setUp({ lookupFailures: 1000 });
    await expect(
      startAgent(lab.config({ lookup_timeout_s: 0.3 }), { logSink: silentSink }),
    ).rejects.toThrow(/lookup failed for 0.3 s/);
  });

  it('retries when Ironic is not reachable yet', async () => {
    const { ironic, lab } = await setUp();
    await ironic.stop();
    const closedUrl = ironic.url;
    await expect(
      startAgent(lab.config({ api_url: closedUrl, lookup_timeout_s: 0.3 }), {
        logSink: silentSink,
      }),
    ).rejects.toThrow(/cannot reach/);
  });

  it('posts the inventory to continue_inspection before the lookup, and keeps the token it answers', async () => {
    const inspectionToken = 'i'.repeat(43);
    const { ironic, lab } = await setUp({
      inspectionToken,
      lookupToken: '******',
      heartbeatTimeout: 1,
    });
    const agent = await run(lab, {
      inspection_callback_url: `${ironic.url}/v1/continue_inspection`,
    });
    expect(ironic.inspections).toHaveLength(1);
    const body = ironic.inspections[0]!.body;
    expect(body.inventory.interfaces.map((i: any) => i.mac_address)).toEqual(LAB_MACS);
    expect(body.inventory.disks[0].name).toBe('/dev/sda');
    expect(body.configuration.collectors).toEqual(['default']);
    expect(ironic.inspections[0]!.at).toBeLessThanOrEqual(ironic.lookups[0]!.at);
    expect(ironic.lookups[0]!.query.get('node_uuid')).toBe(ironic.nodeUuid);
    await until(() => ironic.heartbeats.length >= 1);
    expect(ironic.heartbeats[0]!.body.agent_token).toBe(inspectionToken);
    expect(
      (await postCommand(agentUrl(agent), inspectionToken, 'clean.get_clean_steps', {})).status,
    ).toBe(200);
  });

  it('sends its pregenerated token with the inventory, which Ingot requires from a virtual-media boot', async () => {
    const { ironic, lab } = await setUp({ lookupToken: '******', heartbeatTimeout: 1 });
    await run(lab, {
      agent_token: PREGENERATED,
      inspection_callback_url: `${ironic.url}/v1/continue_inspection`,
    });
    expect(ironic.inspections).toHaveLength(1);
    expect(ironic.inspections[0]!.body.agent_token).toBe(PREGENERATED);
    // Without one configured (iPXE), the body carries none.
    const other = await setUp();
    await run(other.lab, { inspection_callback_url: `${other.ironic.url}/v1/continue_inspection` });
    expect(other.ironic.inspections[0]!.body).not.toHaveProperty('agent_token');
  });

  it('carries on to the lookup when continue_inspection masks the token', async () => {
    const { ironic, lab } = await setUp({ inspectionToken: '******' });
    const agent = await run(lab, {
      inspection_callback_url: `${ironic.url}/v1/continue_inspection`,
    });
    expect(ironic.inspections).toHaveLength(1);
    expect(
      (await postCommand(agentUrl(agent), FAKE_TOKEN, 'clean.get_clean_steps', {})).status,
    ).toBe(200);
  });

  it('passes a configured node_uuid to the lookup', async () => {
    const { ironic, lab } = await setUp();
    await run(lab, { node_uuid: ironic.nodeUuid });
    expect(ironic.lookups[0]!.query.get('node_uuid')).toBe(ironic.nodeUuid);
  });

  it('refuses a lab profile disk that has no file', async () => {
    const { lab } = await setUp();
    await expect(startAgent(lab.config({ disks: {} }), { logSink: silentSink })).rejects.toThrow(
      /no file given for \/dev\/sda/,
    );
  });

  it('heartbeats right after an async command finishes', async () => {
    const { ironic, lab } = await setUp({ heartbeatTimeout: 300 });
    const agent = await run(lab);
    await until(() => ironic.heartbeats.length >= 1);
    const answer = await postCommand(agentUrl(agent), FAKE_TOKEN, 'clean.execute_clean_step', {
      step: { step: 'erase_devices_metadata', interface: 'deploy', priority: 99 },
      node: { uuid: ironic.nodeUuid },
      ports: [],
    });
    expect(answer.body.command_status).toBe('RUNNING');
    await waitForCommand(agentUrl(agent), FAKE_TOKEN, answer.body.id);
    // The regular beat would come after 90 s; the forced one after min_heartbeat_gap_s (0.1 s).
    await until(() => ironic.heartbeats.length >= 2, 3000);
  });
});

describe('command API', () => {
  it('serves the root, v1 and status documents without a token, also unversioned', async () => {
    const { lab } = await setUp();
    const agent = await run(lab);
    const root = (await (await fetch(`${agentUrl(agent)}/`)).json()) as any;
    expect(root.default_version.id).toBe('v1');
    const v1 = (await (await fetch(`${agentUrl(agent)}/v1/`)).json()) as any;
    expect(v1.commands[0].href).toContain('/v1/commands');
    for (const path of ['/v1/status', '/status']) {
      const status = (await (await fetch(`${agentUrl(agent)}${path}`)).json()) as any;
      expect(status.version).toBe('0.1.0');
      expect(typeof status.started_at).toBe('number');
    }
  });

  it('requires the token on every command call', async () => {
    const { lab } = await setUp();
    const agent = await run(lab);
    const url = agentUrl(agent);
    for (const token of [undefined, 'wrong', FAKE_TOKEN + 'x']) {
      const answer = await postCommand(url, token, 'clean.get_clean_steps', {});
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ type: 'Unauthorized', code: 401, faultcode: 'Client' });
    }
    expect((await fetch(`${url}/v1/commands/`)).status).toBe(401);
    expect((await fetch(`${url}/commands/?agent_token=nope`)).status).toBe(401);
    expect((await fetch(`${url}/v1/commands/some-id`)).status).toBe(401);
    const listed = await fetch(`${url}/commands/?agent_token=${FAKE_TOKEN}`);
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ commands: [] });
  });

  it('rejects malformed and unknown commands with IPA error bodies', async () => {
    const { lab } = await setUp();
    const agent = await run(lab);
    const url = `${agentUrl(agent)}/v1/commands/?agent_token=${FAKE_TOKEN}`;
    const post = async (body: string) => {
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/json' },
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const noParams = await post(JSON.stringify({ name: 'clean.get_clean_steps' }));
    expect(noParams.status).toBe(400);
    expect(noParams.body).toMatchObject({
      type: 'InvalidContentError',
      code: 400,
      message: 'Invalid request body',
      details: 'Missing or invalid name or params',
    });
    expect((await post('{oops')).status).toBe(400);
    const unknown = await post(JSON.stringify({ name: 'clean.nope', params: {} }));
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      type: 'InvalidCommandError',
      details: 'Unknown command: clean.nope',
    });
    const badName = await post(JSON.stringify({ name: 'nodot', params: {} }));
    expect(badName.body.details).toBe('Command name must be of the form <extension>.<name>');
    const badStep = await post(
      JSON.stringify({ name: 'clean.execute_clean_step', params: { step: 'x' } }),
    );
    expect(badStep.body.type).toBe('InvalidCommandParamsError');
    const missingId = await fetch(`${agentUrl(agent)}/v1/commands/nope?agent_token=${FAKE_TOKEN}`);
    expect(missingId.status).toBe(404);
  });

  it("serves IPA's service extension: the software RAID steps, and a ServicingError for a step it lacks", async () => {
    const { ironic, lab } = await setUp();
    const agent = await run(lab);
    const steps = await postCommand(agentUrl(agent), FAKE_TOKEN, 'service.get_service_steps', {
      node: {},
      ports: [],
    });
    expect(steps.status).toBe(200);
    expect(steps.body.command_result).toEqual({
      service_steps: {
        GenericHardwareManager: [
          expect.objectContaining({ step: 'delete_configuration', interface: 'raid', priority: 0 }),
          expect.objectContaining({ step: 'create_configuration', interface: 'raid', priority: 0 }),
        ],
      },
      hardware_manager_version: { generic_hardware_manager: '1.2' },
    });
    // Erasing the disks of a serviced (active) node is not a service step.
    const erase = await postCommand(agentUrl(agent), FAKE_TOKEN, 'service.execute_service_step', {
      step: { step: 'erase_devices', interface: 'deploy', priority: 0 },
      node: { uuid: ironic.nodeUuid },
      ports: [],
      service_version: { generic_hardware_manager: '1.2' },
    });
    expect(erase.body.command_status).toBe('RUNNING');
    const failed = await waitForCommand(agentUrl(agent), FAKE_TOKEN, erase.body.id);
    expect(failed.command_status).toBe('FAILED');
    expect(failed.command_error).toMatchObject({
      type: 'ServicingError',
      details: expect.stringMatching(
        /Unknown service step erase_devices \(known: delete_configuration, create_configuration\)/,
      ),
    });
    const stale = await postCommand(agentUrl(agent), FAKE_TOKEN, 'service.execute_service_step', {
      step: { step: 'delete_configuration', interface: 'raid', priority: 0 },
      node: { uuid: ironic.nodeUuid },
      ports: [],
      service_version: { generic_hardware_manager: '0.9' },
    });
    const mismatch =
      stale.body.command_status === 'RUNNING'
        ? await waitForCommand(agentUrl(agent), FAKE_TOKEN, stale.body.id)
        : stale.body;
    expect(JSON.stringify(mismatch)).toMatch(/VersionMismatch|version mismatch/i);
  });

  it('answers sync commands inline and keeps their results', async () => {
    const { lab } = await setUp();
    const agent = await run(lab);
    const steps = await postCommand(agentUrl(agent), FAKE_TOKEN, 'clean.get_clean_steps', {
      node: {},
      ports: [],
    });
    expect(steps.status).toBe(200);
    expect(steps.body).toMatchObject({
      command_name: 'get_clean_steps',
      command_status: 'SUCCEEDED',
      command_error: null,
      command_result: {
        clean_steps: {
          GenericHardwareManager: [
            {
              step: 'erase_devices_metadata',
              priority: 99,
              interface: 'deploy',
              reboot_requested: false,
              abortable: true,
            },
            {
              step: 'erase_devices',
              priority: 10,
              interface: 'deploy',
              reboot_requested: false,
              abortable: true,
            },
            // IPA's software RAID steps, run only when asked for (priority 0).
            {
              step: 'delete_configuration',
              priority: 0,
              interface: 'raid',
              reboot_requested: false,
              abortable: true,
            },
            {
              step: 'create_configuration',
              priority: 0,
              interface: 'raid',
              reboot_requested: false,
              abortable: true,
            },
          ],
        },
        hardware_manager_version: { generic_hardware_manager: '1.2' },
      },
    });
    const deploySteps = await postCommand(
      agentUrl(agent),
      FAKE_TOKEN,
      'deploy.get_deploy_steps',
      {},
    );
    expect(deploySteps.body.command_result.deploy_steps.GenericHardwareManager[0]).toMatchObject({
      step: 'write_image',
      priority: 80,
      interface: 'deploy',
    });
    const one = await fetch(
      `${agentUrl(agent)}/v1/commands/${steps.body.id}?agent_token=${FAKE_TOKEN}`,
    );
    expect(((await one.json()) as any).id).toBe(steps.body.id);
    const list = await fetch(`${agentUrl(agent)}/v1/commands/?agent_token=${FAKE_TOKEN}`);
    expect(((await list.json()) as any).commands.map((c: any) => c.command_name)).toEqual([
      'get_clean_steps',
      'get_deploy_steps',
    ]);
  });

  it('answers 409 AgentIsBusy while an async command runs', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const files = await new FileServer({ gate }).start();
    cleanups.push(() => files.stop());
    const { lab } = await setUp();
    const agent = await run(lab);
    const dir = await mkdtemp(join(tmpdir(), 'ingot-agent-busy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'img.raw'), Buffer.alloc(4096, 1));
    const sha = execFileSync('sha256sum', [join(dir, 'img.raw')])
      .toString()
      .split(' ')[0];

    const started = await postCommand(agentUrl(agent), FAKE_TOKEN, 'standby.prepare_image', {
      image_info: {
        id: 'busy',
        urls: [files.serve('img.raw', join(dir, 'img.raw'))],
        disk_format: 'raw',
        os_hash_algo: 'sha256',
        os_hash_value: sha,
        root_device: '/dev/sda',
      },
    });
    expect(started.body.command_status).toBe('RUNNING');
    const busy = await postCommand(agentUrl(agent), FAKE_TOKEN, 'clean.get_clean_steps', {});
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({
      type: 'AgentIsBusy',
      code: 409,
      details: 'executing command standby.prepare_image',
    });
    release();
    const waited = await fetch(
      `${agentUrl(agent)}/v1/commands/${started.body.id}?wait=true&agent_token=${FAKE_TOKEN}`,
    );
    expect(((await waited.json()) as any).command_status).toBe('SUCCEEDED');
    expect(
      (await postCommand(agentUrl(agent), FAKE_TOKEN, 'clean.get_clean_steps', {})).status,
    ).toBe(200);
  });

  it('collects its own logs as a base64 tar.gz', async () => {
    const { lab } = await setUp();
    const agent = await run(lab);
    const answer = await postCommand(agentUrl(agent), FAKE_TOKEN, 'log.collect_system_logs', {});
    const archive = gunzipSync(Buffer.from(answer.body.command_result.system_logs, 'base64'));
    const dir = await mkdtemp(join(tmpdir(), 'ingot-agent-logs-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'logs.tar'), archive);
    expect(
      execFileSync('tar', ['-tf', join(dir, 'logs.tar')])
        .toString()
        .trim(),
    ).toBe('ingot-agent.log');
    const text = execFileSync('tar', ['-xOf', join(dir, 'logs.tar'), 'ingot-agent.log']).toString();
    expect(text).toContain('"msg":"lookup succeeded"');
    expect(text).not.toContain(FAKE_TOKEN);
  });
});

describe('leaving', () => {
  it('maps departures to exit codes', () => {
    expect(exitCodeFor('power_off')).toBe(80);
    expect(exitCodeFor('reboot')).toBe(81);
    expect(exitCodeFor('lockdown')).toBe(82);
    expect(EXIT_CODES).toMatchObject({ stopped: 0, fatal: 1, badConfig: 2 });
  });

  it('lab power_off: answers, then leaves with code 80', async () => {
    const { lab } = await setUp();
    const agent = await run(lab);
    const answer = await postCommand(agentUrl(agent), FAKE_TOKEN, 'standby.power_off', {}, true);
    expect(answer.body).toMatchObject({ command_name: 'power_off', command_status: 'SUCCEEDED' });
    expect(await agent.exited).toBe(80);
    await expect(fetch(`${agentUrl(agent)}/v1/status`)).rejects.toThrow();
  });

  it('lab run_image: leaves with code 81', async () => {
    const { lab } = await setUp();
    const agent = await run(lab);
    await postCommand(agentUrl(agent), FAKE_TOKEN, 'standby.run_image', {});
    expect(await agent.exited).toBe(81);
  });

  it('lockdown: refuses further commands, then leaves with code 82', async () => {
    const { lab } = await setUp();
    const agent = await startAgent(lab.config(), { logSink: silentSink, departureDelayMs: 300 });
    cleanups.push(() => agent.stop());
    const answer = await postCommand(agentUrl(agent), FAKE_TOKEN, 'system.lockdown', {});
    expect(answer.body.command_status).toBe('SUCCEEDED');
    expect(
      (await postCommand(agentUrl(agent), FAKE_TOKEN, 'clean.get_clean_steps', {})).status,
    ).toBe(401);
    expect(await agent.exited).toBe(82);
  });
});
