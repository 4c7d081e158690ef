import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Installation,
  ServerHost,
  startFleet,
  waitFor,
  type Fleet,
  type LabServer,
} from '@ingot/lab';
import { enroll, setProvision, waitForFailedState, waitForState } from './support/nodes.js';
import {
  ImageOrigin,
  makeTestImage,
  readRange,
  scratchDir,
  sha256,
  type TestImage,
} from './support/images.js';

const MiB = 1024 * 1024;
/**
 * No lookup or heartbeat this long after a ramdisk boot: boot it again. (A lab agent looks itself
 * up 1–2 s after power-on; this leaves room for a busy machine.)
 */
const BOOT_TIMEOUT_S = 12;
/** Agents heartbeat every 0.9–1.8 s; silent for 3 + 3 s, an agent whose API is gone is dead. */
const HEARTBEAT_TIMEOUT_S = 3;
const HEARTBEAT_GRACE_S = 3;
const BOOT_ATTEMPTS = 3;
/** A BMC out of reach is retried after 1 s, 2 s, 4 s, ... for 10 s. */
const RETRY_WINDOW_S = 10;
/** No power worker answers a BMC command this long: a transient failure as well. */
const BMC_REPLY_TIMEOUT_S = 4;
/** Nothing here may take anywhere near the wait deadlines, left at their 30 min default. */
const BOUND_MS = 90_000;

/**
 * The facts that end a wait long before its deadline (30 min, left at its default here): a ramdisk
 * that never makes contact is booted again, then failed; an agent whose heartbeats stop is
 * declared dead and its step run again, then failed; a BMC briefly out of reach while a boot is
 * prepared is retried with backoff, then failed. Each rule leaves lines in the node's history.
 */
describe('boot timeouts, dead agents and transient failures end a wait before its deadline', () => {
  let system: Installation;
  let fleet: Fleet;
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  const hosts = new Map<number, ServerHost>();
  const uuids: string[] = [];

  // Which server plays which part.
  const ISO_READ_A = 0; // reads its boot ISO while the image cache is down
  const ISO_READ_B = 1;
  const AGENT_DIES_ONCE = 2;
  const AGENT_ALWAYS_DIES = 3;
  const NEVER_BOOTS = 4; // no host: booting from the virtual CD starts nothing
  const BMC_AWAY = 5;
  const BMC_GONE = 6;
  const API_AWAY = 7; // its agent cannot heartbeat for a while, but lives
  const POWER_AWAY = 8; // no power worker while its boot is prepared
  const WITH_AGENT = [
    ISO_READ_A,
    ISO_READ_B,
    AGENT_DIES_ONCE,
    AGENT_ALWAYS_DIES,
    BMC_AWAY,
    API_AWAY,
    POWER_AWAY,
  ];

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({ '/images/test.qcow2': image.qcow2Path });
    fleet = await startFleet({ count: 9, powerDelayMs: 100 });
    system = await Installation.start({
      INGOT_BOOT_TIMEOUT_S: String(BOOT_TIMEOUT_S),
      INGOT_BOOT_ATTEMPTS: String(BOOT_ATTEMPTS),
      INGOT_AGENT_HEARTBEAT_TIMEOUT_S: String(HEARTBEAT_TIMEOUT_S),
      INGOT_AGENT_HEARTBEAT_GRACE_S: String(HEARTBEAT_GRACE_S),
      INGOT_TRANSIENT_RETRY_WINDOW_S: String(RETRY_WINDOW_S),
      INGOT_TRANSIENT_RETRY_DELAY_MS: '1000',
      // No power worker for this long is a transient failure too (90 s by default).
      INGOT_BMC_REPLY_TIMEOUT_MS: String(BMC_REPLY_TIMEOUT_S * 1000),
      INGOT_SWEEP_INTERVAL_MS: '500',
      // Cleaning is not what this is about: provide goes straight to available.
      INGOT_AUTOMATED_CLEAN: 'disabled',
      LOG_LEVEL: 'info',
    });
    for (const i of WITH_AGENT)
      hosts.set(
        i,
        await ServerHost.create(fleet.servers[i]!, {
          workDir: system.workDir,
          // Firmware time before the CD is read: the image cache is killed in it.
          ...(i === ISO_READ_A || i === ISO_READ_B ? { bootDelayMs: 3_000 } : {}),
        }),
      );
    uuids.push(...(await Promise.all(fleet.servers.map((server) => enroll(system, server)))));
    await Promise.all(uuids.map((uuid) => setProvision(system, uuid, 'manage')));
    await Promise.all(uuids.map((uuid) => waitForState(system, uuid, 'manageable')));
  }, 120_000);
  afterAll(async () => {
    await Promise.all([...hosts.values()].map((h) => h.stop()));
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  const server = (i: number): LabServer => fleet.servers[i]!;
  const history = async (i: number) =>
    (await system.api('GET', `/v1/nodes/${uuids[i]}/history`)).body.history as {
      event: string;
      severity: string;
      from_state: string | null;
      to_state: string | null;
    }[];
  const events = async (i: number) => (await history(i)).map((h) => h.event);
  /**
   * The WARNING lines of a node's history about its agent (boot timeout, dead agent), or about
   * transient failures: a busy machine may add the latter anywhere (a slow power worker).
   */
  const agentRetries = (log: Awaited<ReturnType<typeof history>>) =>
    log.filter((h) => h.severity === 'WARNING' && /agent/.test(h.event));
  const transientRetries = (log: Awaited<ReturnType<typeof history>>) =>
    log.filter((h) => h.severity === 'WARNING' && /may be back soon/.test(h.event));
  /** What to print when a node does not end where it should. */
  const diagnose = async (i: number) =>
    `\nhistory:\n${(await history(i).catch(() => [])).map((h) => `  ${h.severity} ${h.from_state ?? ''} → ${h.to_state ?? ''} ${h.event}`).join('\n')}` +
    `\nagent output:\n${hosts.get(i)?.output().slice(-2000) ?? '(no agent host)'}` +
    `\nservice logs about the node:\n${system
      .logs()
      .split('\n')
      .filter((l) => l.includes(uuids[i]!) && !/"(incoming request|request completed)"/.test(l))
      .slice(-25)
      .join('\n')}`;
  const reach = (i: number, state: string) =>
    (state.endsWith(' failed')
      ? waitForFailedState(system, uuids[i]!, state, BOUND_MS)
      : waitForState(system, uuids[i]!, state, BOUND_MS)
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}${await diagnose(i)}`);
    });
  const deploy = async (i: number) => {
    const patch = () =>
      system.api('PATCH', `/v1/nodes/${uuids[i]}`, [
        {
          op: 'add',
          path: '/instance_info/image_source',
          value: `${origin.url}/images/test.qcow2`,
        },
        { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
        { op: 'add', path: '/instance_info/image_disk_format', value: 'qcow2' },
      ]);
    // The conductor releases its lease just after the node shows 'available': a request in that
    // moment gets 409 (NodeLocked), which clients retry, as ironicclient does.
    let res = await patch();
    for (let tries = 0; res.status === 409 && tries < 20; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      res = await patch();
    }
    expect(res.status, res.text).toBe(200);
    await setProvision(system, uuids[i]!, 'active');
  };
  const makeAvailable = async (i: number) => {
    await setProvision(system, uuids[i]!, 'provide');
    await reach(i, 'available');
  };
  const expectImageWritten = async (i: number) => {
    const disk = hosts.get(i)!.disks['/dev/sda']!;
    const body = image.raw.subarray(MiB, image.raw.length - MiB);
    expect(sha256(await readRange(disk, MiB, body.length))).toBe(sha256(body));
  };
  /**
   * Kills the agent of server i (the server stays on) as soon as it logs `msg`, on each of its
   * first `times` boots.
   */
  const crashAgentAt = (i: number, msg: string, times: number) => {
    const host = hosts.get(i)!;
    let crashes = 0;
    host.on('agent-started', () => {
      if (crashes >= times) return;
      crashes++;
      void waitFor(
        `the agent to log '${msg}'`,
        async () => host.output().includes(`"msg":"${msg}"`),
        30_000,
        10,
      ).then(() => host.crashAgent());
    });
    return () => crashes;
  };

  it('the image cache dies for 5 s while servers read their boot ISO: their boot is retried and they reach active', async () => {
    const servers = [ISO_READ_A, ISO_READ_B];
    await Promise.all(servers.map(makeAvailable));
    const isoFailures = servers.map((i) => {
      let failed = 0;
      hosts.get(i)!.on('agent-exited', ({ code, signal, output }) => {
        if (code === null && signal === null && /could not read its boot ISO/.test(output))
          failed++;
      });
      return () => failed;
    });
    const started = Date.now();
    await Promise.all(servers.map(deploy));
    // Both CDs are in and both servers on: their firmware reads the ISO 3 s after power-on.
    await waitFor(
      'both servers powered on from their new boot ISO',
      async () =>
        servers.every((i) => {
          const bmc = server(i).bmc.state;
          return bmc.media.Cd.inserted && bmc.power === 'On';
        }),
      30_000,
      20,
    );
    await system.kill('imagecache', 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await system.startService('imagecache', {}, 'imagecache');

    for (const i of servers) {
      const active = await reach(i, 'active');
      expect(active.last_error).toBeNull();
      await expectImageWritten(i);
    }
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(isoFailures.reduce((sum, failed) => sum + failed(), 0)).toBeGreaterThan(0);
    for (const [k, i] of servers.entries()) {
      const log = await events(i);
      const why = await diagnose(i);
      // A server whose ISO read failed was booted again; the image was written once either way.
      if (isoFailures[k]!() > 0) {
        expect(
          log.filter((e) =>
            new RegExp(
              `^no agent contact \\(lookup or heartbeat\\) within ${BOOT_TIMEOUT_S} s of ramdisk boot 1 .*; booting the agent ramdisk again \\(boot 2 of at most ${BOOT_ATTEMPTS}\\)$`,
            ).test(e),
          ),
          why,
        ).toHaveLength(1);
        expect(
          log.filter((e) => /^booting the agent ramdisk from virtual media for deploy/.test(e)),
          why,
        ).toHaveLength(2);
      }
      expect(log.filter((e) => e === 'deploy step write_image started')).toHaveLength(1);
    }
  });

  it('the API down for 10 s after an agent heartbeated: the agent answers at its own URL, so it is not rebooted, and the node reaches active', async () => {
    const i = API_AWAY;
    await makeAvailable(i);
    const host = hosts.get(i)!;
    const started = Date.now();
    await deploy(i);
    await waitFor(
      'the agent to heartbeat',
      async () => host.output().includes('"msg":"heartbeat sent"'),
      30_000,
      10,
    );
    // Its later heartbeats fail for longer than the heartbeat timeout and the grace.
    await system.kill('api', 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    await system.startService('api');

    const active = await reach(i, 'active');
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(active.last_error).toBeNull();
    await expectImageWritten(i);
    const log = await history(i);
    const why = await diagnose(i);
    expect(agentRetries(log), why).toEqual([]);
    expect(log.filter((h) => /^booting the agent ramdisk/.test(h.event))).toHaveLength(1);
    // The conductor did look at it, and found it answering.
    expect(
      system
        .logs()
        .split('\n')
        .some(
          (line) =>
            line.includes(uuids[i]!) &&
            line.includes('the agent stopped heartbeating but its API answers; not rebooting it'),
        ),
      why,
    ).toBe(true);
  });

  it('no power worker while a boot is prepared: the call times out, the step is retried once a worker is back, and the node reaches active', async () => {
    const i = POWER_AWAY;
    await makeAvailable(i);
    await system.kill('power', 'SIGKILL');
    const started = Date.now();
    await deploy(i);
    await waitFor(
      'a retry to be scheduled',
      async () => transientRetries(await history(i)).length > 0,
      30_000,
      50,
    );
    await system.startService('power');

    const active = await reach(i, 'active');
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(active.last_error).toBeNull();
    await expectImageWritten(i);
    const log = await history(i);
    const retries = transientRetries(log);
    expect(retries.length, await diagnose(i)).toBeGreaterThanOrEqual(1);
    expect(retries[0]!.event).toMatch(
      new RegExp(
        `^'deploying' failed on something that may be back soon \\(no power worker of site "default" answered bmc\\.\\w+ within ${BMC_REPLY_TIMEOUT_S} s\\); trying again at `,
      ),
    );
    expect(log.map((h) => h.event)).toContainEqual(
      expect.stringMatching(/^'deploying' went through after \d+ transient failures?$/),
    );
    expect(log.filter((h) => /^booting the agent ramdisk/.test(h.event))).toHaveLength(1);
  });

  describe.concurrent('side by side', () => {
    it('an agent killed mid-deploy: declared dead when its heartbeats stop, its ramdisk booted again, the node reaches active', async ({
      expect,
    }) => {
      const i = AGENT_DIES_ONCE;
      await makeAvailable(i);
      // In the middle of writing the image: its first heartbeat started the deploy step.
      const crashes = crashAgentAt(i, 'deploy step started', 1);
      const started = Date.now();
      await deploy(i);
      const active = await reach(i, 'active');
      expect(Date.now() - started).toBeLessThan(BOUND_MS);
      expect(crashes()).toBe(1);
      expect(active.last_error).toBeNull();
      await expectImageWritten(i);
      const log = await history(i);
      const retries = agentRetries(log);
      expect(retries, await diagnose(i)).toHaveLength(1);
      expect(log.filter((h) => h.event === 'deploy step write_image finished')).toHaveLength(1);
      expect(retries[0]).toMatchObject({ from_state: 'wait call-back', to_state: 'deploying' });
      expect(retries[0]!.event).toMatch(
        new RegExp(
          `^the agent stopped heartbeating at \\S+Z \\(nothing since for more than ${HEARTBEAT_TIMEOUT_S} s heartbeat timeout \\+ ${HEARTBEAT_GRACE_S} s grace\\) and its API at https://127\\.0\\.0\\.1:\\d+ does not answer; booting the agent ramdisk again \\(boot 2 of at most ${BOOT_ATTEMPTS}\\)$`,
        ),
      );
    });

    it('an agent that dies on every boot: the deploy fails after the last boot, saying when it stopped heartbeating', async ({
      expect,
    }) => {
      const i = AGENT_ALWAYS_DIES;
      await makeAvailable(i);
      const crashes = crashAgentAt(i, 'heartbeat sent', BOOT_ATTEMPTS);
      const started = Date.now();
      await deploy(i);
      const failed = await reach(i, 'deploy failed');
      expect(Date.now() - started).toBeLessThan(BOUND_MS);
      expect(crashes()).toBe(BOOT_ATTEMPTS);
      expect(failed.target_provision_state).toBe('active');
      expect(failed.last_error).toMatch(
        new RegExp(
          `^The agent stopped heartbeating at \\S+Z .*; gave up after ${BOOT_ATTEMPTS} boots of the agent ramdisk for deploy \\(each with a new boot ISO inserted as virtual media and the server power cycled\\)$`,
        ),
      );
      const log = await history(i);
      expect(
        agentRetries(log).map((h) => h.event),
        await diagnose(i),
      ).toEqual([
        expect.stringMatching(/^the agent stopped heartbeating .* \(boot 2 of at most 3\)$/),
        expect.stringMatching(/^the agent stopped heartbeating .* \(boot 3 of at most 3\)$/),
      ]);
      expect(log.at(-1)).toMatchObject({ severity: 'ERROR', to_state: 'deploy failed' });
      // Torn down: off, CD out.
      expect(server(i).bmc.state.power).toBe('Off');
      expect(server(i).bmc.state.media.Cd.inserted).toBe(false);
    });

    it('a server that never boots the ramdisk: booted 3 times, then inspect failed naming the boots, minutes before the deadline', async ({
      expect,
    }) => {
      const i = NEVER_BOOTS;
      const started = Date.now();
      await setProvision(system, uuids[i]!, 'inspect');
      const failed = await reach(i, 'inspect failed');
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(BOOT_ATTEMPTS * BOOT_TIMEOUT_S * 1000);
      expect(took).toBeLessThan(BOUND_MS);
      expect(failed.target_provision_state).toBe('manageable');
      expect(failed.last_error).toMatch(
        new RegExp(
          `^No agent contact \\(lookup or heartbeat\\) within ${BOOT_TIMEOUT_S} s of ramdisk boot 3 \\(at \\S+Z\\); gave up after 3 boots of the agent ramdisk for inspect \\(each with a new boot ISO inserted as virtual media and the server power cycled\\)$`,
        ),
      );
      const log = await history(i);
      const why = await diagnose(i);
      expect(
        log.filter((h) => /^booting the agent ramdisk/.test(h.event)).map((h) => h.event),
        why,
      ).toEqual(
        [1, 2, 3].map(
          (n) =>
            `booting the agent ramdisk from virtual media for inspect (boot ${n} of at most 3)`,
        ),
      );
      const retries = agentRetries(log);
      expect(
        retries.map((h) => [h.from_state, h.to_state]),
        why,
      ).toEqual([
        ['inspect wait', 'inspecting'],
        ['inspect wait', 'inspecting'],
      ]);
      expect(retries[1]!.event).toMatch(
        new RegExp(
          `^no agent contact \\(lookup or heartbeat\\) within ${BOOT_TIMEOUT_S} s of ramdisk boot 2 \\(at \\S+Z\\); booting the agent ramdisk again \\(boot 3 of at most 3\\)$`,
        ),
      );
      // Power cycled for each retry; torn down at the end.
      expect(
        server(i).bmc.state.resets.filter((r) => r !== 'ForceOff').length,
      ).toBeGreaterThanOrEqual(3);
      expect(server(i).bmc.state.power).toBe('Off');
      expect(server(i).bmc.state.media.Cd.inserted).toBe(false);
    });

    it('a BMC answering 503 for a few seconds while the boot is prepared: the step is retried with backoff and the node reaches active', async ({
      expect,
    }) => {
      const i = BMC_AWAY;
      await makeAvailable(i);
      // Its web server restarting from the start (HTTP 503): inserting the boot ISO fails, then
      // again at each retry until the BMC is back. (BMC_GONE below is off the network instead.)
      await server(i).bmc.setFault('busy');
      const started = Date.now();
      await deploy(i);
      await waitFor(
        'a retry to be scheduled',
        async () => transientRetries(await history(i)).length > 0,
        30_000,
        50,
      );
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await server(i).bmc.setFault('none');
      const active = await reach(i, 'active');
      expect(Date.now() - started).toBeLessThan(BOUND_MS);
      expect(active.last_error).toBeNull();
      await expectImageWritten(i);
      const log = await history(i);
      const why = await diagnose(i);
      const retries = transientRetries(log);
      expect(retries.length, why).toBeGreaterThanOrEqual(2);
      for (const retry of retries)
        expect(retry.event).toMatch(
          /^'deploying' failed on something that may be back soon \(.*BMC at .* is unavailable \(HTTP 503 .*\); trying again at \S+Z \(failure \d+; retried until \S+Z\)$/,
        );
      expect(log.map((h) => h.event)).toContain(
        `'deploying' went through after ${retries.length} transient failures`,
      );
      expect(active.driver_internal_info).not.toHaveProperty('step_retry');
    });

    it('a BMC that stays out of reach: the deploy fails when the retry window closes, saying what was tried', async ({
      expect,
    }) => {
      const i = BMC_GONE;
      await makeAvailable(i);
      await server(i).bmc.setFault('refuse');
      const started = Date.now();
      await deploy(i);
      const failed = await reach(i, 'deploy failed');
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(RETRY_WINDOW_S * 1000);
      expect(took).toBeLessThan(BOUND_MS);
      expect(failed.last_error).toMatch(
        new RegExp(
          `BMC at .* is unreachable.* \\(still failing after \\d+ tries over \\d+ s; such failures are retried for ${RETRY_WINDOW_S} s\\)`,
        ),
      );
      const retries = transientRetries(await history(i));
      // 1 s, 2 s, 4 s, then the window's end.
      expect(retries.length, await diagnose(i)).toBeGreaterThanOrEqual(3);
      await server(i).bmc.setFault('none');
    });
  });
});
