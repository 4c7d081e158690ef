// Chaos: lab servers go through the lifecycle while a seeded loop kills, at random moments, a
// service of every type, a running agent, the NATS server or the PostgreSQL cluster. Every node
// must end each phase at its target or in a failed state with a last_error, within a bound far
// below the 30-minute deadlines; deploys write their image once; history has no duplicate; no
// lease is left held.
//
// CI runs one round. A soak is the same file driven by the environment, e.g.
//   INGOT_CHAOS_ROUNDS=20 INGOT_CHAOS_SEED=7 npx vitest run test/chaos.test.ts --maxWorkers=2
// Settings (all optional):
//   INGOT_CHAOS_SEED     seed of the kill sequence (an integer, or any text, which is hashed)
//   INGOT_CHAOS_SERVERS  lab servers (6)
//   INGOT_CHAOS_ROUNDS   rounds of manage → inspect → provide → deploy → undeploy (1)
//   INGOT_CHAOS_BOUND_S  bound of one attempt of one phase of one node (120)
//   INGOT_CHAOS_GAP_MS   pause between two kills, "min-max" (1000-3500)
//   INGOT_CHAOS_DOWN_MS  how long a killed service, NATS or PostgreSQL stays down, "min-max" (300-2500)
//   INGOT_CHAOS_INSPECT  1 (default) to inspect in every round, 0 not to
//   INGOT_CHAOS_CLEAN    the installation's INGOT_AUTOMATED_CLEAN (metadata, Metal3's default, boots
//                        the agent on provide and undeploy; disabled does not)
//   INGOT_CHAOS_ENV      more settings of the installation's services, as a JSON object
// A failure prints the seed and every kill with its time; the same seed replays the same sequence
// of draws (the moments they hit depend on timing, which no seed fixes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Installation,
  ServerHost,
  startFleet,
  startPrivateNats,
  startPrivatePostgres,
  waitFor,
  type Fleet,
  type PrivateServer,
  type ServiceName,
} from '@ingot/lab';
import { ImageOrigin, makeTestImage, scratchDir, type TestImage } from './support/images.js';
import { expectDeployedDisk } from './support/deployed-disk.js';

// ---------------------------------------------------------------------------------------------
// Settings

function intEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be an integer`);
  return parsed;
}

function rangeEnv(name: string, fallback: [number, number]): [number, number] {
  const value = process.env[name];
  if (!value) return fallback;
  const [min, max] = value.split(/[-,]/).map(Number);
  if (!Number.isInteger(min) || !Number.isInteger(max) || min! < 0 || max! < min!)
    throw new Error(`${name} must be "min-max" in ms`);
  return [min!, max!];
}

/** An integer seed as given, or a hash (FNV-1a) of any other text. */
function seedFrom(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) >>> 0;
  let hash = 0x811c9dc5;
  for (const c of text) hash = Math.imul(hash ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return hash;
}

const SEED_TEXT = process.env.INGOT_CHAOS_SEED || '20260610';
const SEED = seedFrom(SEED_TEXT);
const SERVERS = intEnv('INGOT_CHAOS_SERVERS', 6);
const ROUNDS = intEnv('INGOT_CHAOS_ROUNDS', 1);
/** One attempt of one phase of one node must end (at its target or failed) within this. */
const BOUND_MS = intEnv('INGOT_CHAOS_BOUND_S', 120) * 1000;
const GAP_MS = rangeEnv('INGOT_CHAOS_GAP_MS', [1_000, 3_500]);
const DOWN_MS = rangeEnv('INGOT_CHAOS_DOWN_MS', [300, 2_500]);
const INSPECT = process.env.INGOT_CHAOS_INSPECT !== '0';
const CLEAN = process.env.INGOT_CHAOS_CLEAN || 'metadata';
/** The wait deadlines (deploy, clean, inspect) stay at their 30-minute default. */
const DEADLINE_MS = 30 * 60_000;

/**
 * Fast takeover and fast verdicts on dead agents, as service-restarts.test.ts: a dead conductor's
 * leases expire in 3 s and are swept every 0.5 s; a command a killed worker had taken comes back
 * after 5 s; an agent heartbeats every 3–6 s and is dead after 10 + 5 s of silence with its API
 * gone; a ramdisk that makes no contact within 20 s is booted again (3 boots per operation); a
 * BMC, power worker or image cache out of reach is retried for 60 s.
 */
const INSTALLATION_ENV: Record<string, string> = {
  INGOT_LEASE_TTL_MS: '3000',
  INGOT_SWEEP_INTERVAL_MS: '500',
  INGOT_ACK_WAIT_MS: '5000',
  INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10',
  INGOT_AGENT_HEARTBEAT_GRACE_S: '5',
  INGOT_BOOT_TIMEOUT_S: '20',
  INGOT_BOOT_ATTEMPTS: '3',
  INGOT_TRANSIENT_RETRY_WINDOW_S: '60',
  INGOT_TRANSIENT_RETRY_DELAY_MS: '1000',
  INGOT_AUTOMATED_CLEAN: CLEAN,
  LOG_LEVEL: 'info',
  // Other settings of the installation for a soak, e.g. '{"INGOT_BOOT_ATTEMPTS":"2"}'.
  ...(JSON.parse(process.env.INGOT_CHAOS_ENV || '{}') as Record<string, string>),
};

const SERVICES: ServiceName[] = ['api', 'conductor', 'power', 'imagecache', 'inspector'];
type Target = ServiceName | 'agent' | 'nats' | 'postgres';
const TARGETS: Target[] = [...SERVICES, 'agent', 'nats', 'postgres'];

const FAILED_STATES = new Set([
  'deploy failed',
  'clean failed',
  'inspect failed',
  'rescue failed',
  'unrescue failed',
  'adopt failed',
  'service failed',
  'error',
]);

// ---------------------------------------------------------------------------------------------
// Seeded randomness and the timeline

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

const T0 = Date.now();
const clock = (at = Date.now()) => `+${((at - T0) / 1000).toFixed(1)}s`;
const say = (line: string) => process.stdout.write(`[chaos ${clock()}] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The lab

/** One run of the agent ramdisk on a server: from its start to its exit. */
interface AgentRun {
  server: number;
  startedAt: number;
  endedAt?: number;
  output?: string;
  /** When the chaos loop killed it (the server stayed on). */
  killedAt?: number;
}

interface Kill {
  n: number;
  target: Target;
  /** The server whose agent was killed. */
  server?: number;
  phase: string;
  at: number;
  back: number;
  /** Nodes in the middle of an operation when it died (UUIDs). */
  busy: string[];
}

interface ApiAnswer {
  status: number;
  body: any;
  text: string;
}

/** A 5xx the test itself received, with when it came. */
interface ServerError {
  at: number;
  method: string;
  path: string;
  status: number;
  text: string;
}

class ChaosLab {
  readonly runs: AgentRun[] = [];
  readonly kills: Kill[] = [];
  readonly serverErrors: ServerError[] = [];
  /** Boots whose ISO or network script could not be read (the lab host's own errors). */
  readonly hostErrors: { server: number; at: number; line: string }[] = [];
  /** Processes the chaos loop killed: any other that exited crashed. */
  private readonly killed = new Set<number>();
  /** The last node each driver saw, by UUID: what a kill interrupts. */
  readonly lastSeen = new Map<string, any>();

  private constructor(
    readonly system: Installation,
    readonly fleet: Fleet,
    readonly hosts: ServerHost[],
    readonly nats: PrivateServer,
    readonly postgres: PrivateServer,
  ) {
    hosts.forEach((host, server) => {
      host.on('agent-started', () => this.runs.push({ server, startedAt: Date.now() }));
      host.on('agent-exited', ({ code, signal, output }) => {
        if (code === null && signal === null) {
          // A lab host error: the boot never started an agent (e.g. the ISO could not be read).
          const line = output.trim().split('\n').pop() ?? '';
          this.hostErrors.push({ server, at: Date.now(), line });
          return;
        }
        const run = this.currentRun(server);
        if (!run) return;
        run.endedAt = Date.now();
        run.output = output;
      });
    });
  }

  static async start(): Promise<ChaosLab> {
    const fleet = await startFleet({ count: SERVERS, powerDelayMs: 100 });
    let nats: PrivateServer | undefined;
    let postgres: PrivateServer | undefined;
    let system: Installation | undefined;
    try {
      nats = await startPrivateNats();
      postgres = await startPrivatePostgres();
      const created = await Installation.create(INSTALLATION_ENV, undefined, {
        natsUrl: nats.url,
        databaseUrl: postgres.url,
      });
      system = created;
      await Promise.all(SERVICES.map((kind) => created.startService(kind)));
      const hosts = await Promise.all(
        fleet.servers.map((server) => ServerHost.create(server, { workDir: created.workDir })),
      );
      return new ChaosLab(created, fleet, hosts, nats, postgres);
    } catch (error) {
      await system?.stop().catch(() => undefined);
      await fleet.stop();
      await nats?.stop();
      await postgres?.stop();
      throw error;
    }
  }

  /** Stops everything; fails (after stopping the rest) if a service wrote a secret it was given. */
  async stop(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.stop()));
    try {
      await this.system.stop();
    } finally {
      await this.fleet.stop();
      await this.nats.stop();
      await this.postgres.stop();
    }
  }

  currentRun(server: number): AgentRun | undefined {
    for (let k = this.runs.length - 1; k >= 0; k--) {
      const run = this.runs[k]!;
      if (run.server === server) return run.endedAt === undefined ? run : undefined;
    }
    return undefined;
  }

  /** Servers whose agent is running now. */
  agentsRunning(): number[] {
    return this.hosts.map((_, i) => i).filter((i) => this.currentRun(i) !== undefined);
  }

  /** The JSON lines an agent run printed. */
  runLines(run: AgentRun): Record<string, unknown>[] {
    const output = run.output ?? this.hosts[run.server]!.output();
    return output.split('\n').flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /**
   * A JSON request to the API with a timeout; a 5xx is recorded. Network errors (the API down)
   * are thrown to the caller, which retries.
   */
  async api(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const response = await fetch(`${this.system.apiUrl}${path}`, {
      method,
      headers: {
        'x-openstack-ironic-api-version': 'latest',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (response.status >= 500)
      this.serverErrors.push({ at: Date.now(), method, path, status: response.status, text });
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text };
  }

  async node(uuid: string): Promise<any> {
    const res = await this.api('GET', `/v1/nodes/${uuid}`);
    if (res.status !== 200) throw new Error(`GET node ${uuid}: ${res.status} ${res.text}`);
    return res.body;
  }

  async history(uuid: string): Promise<any[]> {
    const res = await this.api('GET', `/v1/nodes/${uuid}/history`);
    if (res.status !== 200) throw new Error(`GET history of ${uuid}: ${res.status} ${res.text}`);
    return res.body.history as any[];
  }

  /** Kills `target`, leaves it down for `downMs`, starts it again (an agent is left dead). */
  async kill(n: number, target: Target, phase: string, downMs: number, server?: number) {
    const busy = [...this.lastSeen.values()]
      .filter((node) => !resting(node))
      .filter((node) => target !== 'agent' || node.name === this.fleet.servers[server!]!.name)
      .map((node) => node.uuid as string);
    const at = Date.now();
    const what =
      target === 'agent'
        ? `the agent of ${this.fleet.servers[server!]!.name}`
        : `${target} (down ${downMs} ms)`;
    say(`kill #${n} in ${phase}: ${what}; ${busy.length} node(s) mid-operation`);
    if (target === 'agent') {
      const run = this.currentRun(server!);
      if (run) run.killedAt = at;
      await this.hosts[server!]!.crashAgent();
    } else if (target === 'nats') {
      await this.nats.restart('SIGKILL', downMs);
    } else if (target === 'postgres') {
      await this.postgres.restart('SIGKILL', downMs);
    } else {
      await this.restartCrashed();
      const process = this.system.service(target);
      this.killed.add(process.child.pid!);
      await this.system.kill(target, 'SIGKILL');
      await sleep(downMs);
      await this.system.startService(target, {}, target);
    }
    const back = Date.now();
    if (target !== 'agent') say(`kill #${n}: ${target} is back (${back - at} ms after the kill)`);
    this.kills.push({ n, target, server, phase, at, back, busy });
  }

  /**
   * Every 5xx the API answered (to the test, the agents, anyone), from its request log: when, to
   * what, and the error it logged for that request, if any.
   */
  apiServerErrors(): ServerError[] {
    const lines = this.system.services
      .filter((s) => s.kind === 'api')
      .flatMap((s) => s.output.join('').split('\n'));
    const errors = new Map<string, string>();
    const answered: ServerError[] = [];
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let entry: any;
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      if (entry.msg === 'request completed' && entry.res?.statusCode >= 500) {
        answered.push({
          at: Date.parse(entry.time),
          method: entry.req?.method,
          path: entry.req?.url,
          status: entry.res.statusCode,
          text: entry.request_id ?? '',
        });
      } else if (entry.level >= 50 || entry.level === 'error' || entry.level === 'fatal') {
        if (entry.request_id)
          errors.set(entry.request_id, String(entry.err?.message ?? entry.err ?? entry.msg));
      }
    }
    return answered.map((e) => ({ ...e, text: errors.get(e.text) ?? '' }));
  }

  /** Services that exited by themselves, with the end of what they printed. */
  readonly crashes: { name: string; pid: number; at: number; exit: string; tail: string }[] = [];

  /**
   * Finds services that exited without being killed by the chaos loop, records each (a
   * violation) and starts it again, as Kubernetes would, so that the run goes on.
   */
  async restartCrashed(): Promise<void> {
    for (const s of [...this.system.services]) {
      if (s.child.exitCode === null && s.child.signalCode === null) continue;
      if (this.killed.has(s.child.pid!)) continue;
      this.killed.add(s.child.pid!); // reported once
      const crash = {
        name: s.name,
        pid: s.child.pid!,
        at: Date.now(),
        exit: String(s.child.exitCode ?? s.child.signalCode),
        tail: s.output.join('').split('\n').slice(-25).join('\n'),
      };
      this.crashes.push(crash);
      say(
        `CRASH: ${s.name} (pid ${crash.pid}) exited ${crash.exit} by itself; its last lines:\n${crash.tail}`,
      );
      await this.system.startService(s.kind, {}, s.name);
    }
  }
}

/** No conductor works on it and no operation is under way: at rest, done or failed. */
function resting(node: any): boolean {
  return (
    node.reservation === null &&
    (node.target_provision_state === null || FAILED_STATES.has(node.provision_state))
  );
}

// ---------------------------------------------------------------------------------------------
// The chaos loop

/**
 * What to kill next: a seeded shuffle of every target, refilled when empty, so that every kind
 * of target dies about as often as any other. An agent is drawn only while one runs; until then
 * it stays in the bag and the next target goes first.
 */
class KillPlan {
  private bag: Target[] = [];
  n = 0;

  constructor(readonly rng: ReturnType<typeof prng>) {}

  next(agentRuns: boolean): Target {
    if (this.bag.length === 0 || (!agentRuns && this.bag.every((t) => t === 'agent'))) {
      // An agent still waiting for its turn is not doubled: agent kills must not pile up while
      // no agent runs and then come all at once.
      const fresh = TARGETS.filter((t) => t !== 'agent' || !this.bag.includes('agent'));
      for (let k = fresh.length - 1; k > 0; k--) {
        const j = this.rng.int(0, k);
        [fresh[k], fresh[j]] = [fresh[j]!, fresh[k]!];
      }
      this.bag.push(...fresh);
    }
    const index = this.bag.findIndex((t) => agentRuns || t !== 'agent');
    return this.bag.splice(index, 1)[0]!;
  }
}

class Chaos {
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;
  private error: unknown;

  constructor(
    private readonly lab: ChaosLab,
    private readonly plan: KillPlan,
    private readonly phase: string,
  ) {
    this.done = this.loop().catch((error) => {
      this.error = error;
    });
  }

  private async loop(): Promise<void> {
    const { rng } = this.plan;
    for (;;) {
      // The draws of a kill are made whatever happens next, so a seed gives the same sequence.
      const gap = rng.int(GAP_MS[0], GAP_MS[1]);
      const downMs = rng.int(DOWN_MS[0], DOWN_MS[1]);
      const pickServer = rng.next();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, gap);
      });
      if (this.stopped) return;
      await this.lab.restartCrashed();
      const running = this.lab.agentsRunning();
      const target = this.plan.next(running.length > 0);
      const server =
        target === 'agent' ? running[Math.floor(pickServer * running.length)] : undefined;
      await this.lab.kill(++this.plan.n, target, this.phase, downMs, server);
    }
  }

  /** Stops killing; resolves once the last kill's target is back. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done;
    if (this.error) throw this.error;
  }
}

// ---------------------------------------------------------------------------------------------
// Phases and the driver of one node through one phase

interface Phase {
  name: string;
  /** The state every node must reach. */
  target: string;
  /** The verb that takes a resting node in `state` towards the target (a retry included). */
  verbFor(state: string): string | undefined;
  /** Nodes resting here after our verb failed the attempt (besides the failed states). */
  failedIn?: string[];
}

const PHASES: Record<string, Phase> = {
  manage: {
    name: 'manage',
    target: 'manageable',
    verbFor: (s) =>
      ['enroll', 'available', 'clean failed', 'inspect failed'].includes(s) ? 'manage' : undefined,
    // verifying fails back to enroll.
    failedIn: ['enroll'],
  },
  inspect: {
    name: 'inspect',
    target: 'manageable',
    verbFor: (s) => (s === 'manageable' || s === 'inspect failed' ? 'inspect' : undefined),
  },
  provide: {
    name: 'provide',
    target: 'available',
    verbFor: (s) => ({ manageable: 'provide', 'clean failed': 'manage' })[s],
  },
  deploy: {
    name: 'deploy',
    target: 'active',
    verbFor: (s) => (s === 'available' || s === 'deploy failed' ? 'active' : undefined),
  },
  undeploy: {
    name: 'undeploy',
    target: 'available',
    verbFor: (s) =>
      (
        ({
          active: 'deleted',
          'deploy failed': 'deleted',
          error: 'deleted',
          'clean failed': 'manage',
          manageable: 'provide',
        }) as Record<string, string>
      )[s],
  },
};

/** One failed attempt: where it ended and why. */
interface Failure {
  phase: string;
  round: number;
  node: string;
  state: string;
  lastError: string | null;
  at: number;
}

interface Outcome {
  kind: 'reached' | 'failed' | 'stuck' | 'unexpected';
  node: any;
  failures: Failure[];
  detail?: string;
  ms: number;
}

const updatedAfter = (node: any, at: number) =>
  node.provision_updated_at !== null && Date.parse(node.provision_updated_at) > at;

async function drive(
  lab: ChaosLab,
  uuid: string,
  phase: Phase,
  round: number,
  verbBody: (verb: string) => Record<string, unknown>,
  prepare: (node: any, verb: string) => Promise<void>,
): Promise<Outcome> {
  const started = Date.now();
  const failures: Failure[] = [];
  let attemptStarted = started;
  /** The verb last sent: answered 202, or not known to have been taken (`accepted` false). */
  let sent: { verb: string; at: number; accepted: boolean } | undefined;
  let node: any;
  for (;;) {
    if (Date.now() - attemptStarted > BOUND_MS)
      return {
        kind: 'stuck',
        node,
        failures,
        ms: Date.now() - started,
        detail: `attempt ${failures.length + 1} did not end within ${BOUND_MS / 1000} s`,
      };
    try {
      node = await lab.node(uuid);
    } catch {
      await sleep(300);
      continue; // the API or its database is down: ask again
    }
    lab.lastSeen.set(uuid, node);
    if (!resting(node)) {
      await sleep(300);
      continue;
    }
    if (sent && !updatedAfter(node, sent.at)) {
      // Nothing moved since the verb: it is queued, or it never got through.
      if (!sent.accepted) {
        const history = await lab.history(uuid).catch(() => undefined);
        if (!history) {
          await sleep(300);
          continue;
        }
        sent.accepted = history.some(
          (h) => h.event === `'${sent!.verb}' accepted` && Date.parse(h.created_at) >= sent!.at,
        );
      }
      if (sent.accepted) {
        await sleep(300);
        continue;
      }
      sent = undefined; // not taken: send it again below
    }
    const state = node.provision_state as string;
    if (sent) {
      if (state === phase.target && node.target_provision_state === null)
        return { kind: 'reached', node, failures, ms: Date.now() - started };
      if (FAILED_STATES.has(state) || phase.failedIn?.includes(state)) {
        failures.push({
          phase: phase.name,
          round,
          node: node.name,
          state,
          lastError: node.last_error,
          at: Date.now(),
        });
        say(`${node.name} failed ${phase.name} in '${state}': ${node.last_error}`);
        if (failures.length >= 2)
          return { kind: 'failed', node, failures, ms: Date.now() - started };
        attemptStarted = Date.now(); // the one retry gets a bound of its own
      }
      sent = undefined; // its outcome is taken: what comes next is a new verb
    }
    const verb = phase.verbFor(state);
    if (!verb)
      return {
        kind: 'unexpected',
        node,
        failures,
        ms: Date.now() - started,
        detail: `rests in '${state}', which ${phase.name} has no verb for`,
      };
    try {
      await prepare(node, verb);
      const at = Date.now();
      sent = { verb, at, accepted: false };
      const res = await lab.api('PUT', `/v1/nodes/${uuid}/states/provision`, verbBody(verb));
      sent.accepted = res.status === 202;
      if (!sent.accepted && res.status < 500)
        say(`${node.name}: '${verb}' answered ${res.status} ${res.text.slice(0, 200)}`);
    } catch {
      // The API went away mid-request: whether it took the verb is read from the history.
    }
    await sleep(300);
  }
}

// ---------------------------------------------------------------------------------------------
// The test

describe('chaos: services, agents, NATS and PostgreSQL killed at random through the lifecycle', () => {
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({ '/images/test.qcow2': image.qcow2Path });
  }, 60_000);
  afterAll(async () => {
    await origin?.close();
    await scratch?.remove();
  });

  const phasesPerRound = 4 + (INSPECT ? 1 : 0);
  const timeoutMs = 120_000 + ROUNDS * phasesPerRound * (2 * BOUND_MS + 30_000);

  it(
    `${SERVERS} servers × ${ROUNDS} round(s), seed ${SEED_TEXT}: every node ends at its target or failed with a reason, in bound, deployed once, no duplicate history, no lease held`,
    async () => {
      say(
        `seed ${SEED_TEXT} (${SEED}), ${SERVERS} servers, ${ROUNDS} round(s), bound ${BOUND_MS / 1000} s per attempt, ` +
          `kills every ${GAP_MS.join('–')} ms, down ${DOWN_MS.join('–')} ms, inspect ${INSPECT}, automated clean ${CLEAN}`,
      );
      const plan = new KillPlan(prng(SEED));
      const lab = await ChaosLab.start();
      const { system, fleet } = lab;
      const names = fleet.servers.map((s) => s.name);
      const uuids: string[] = [];
      const failures: Failure[] = [];
      const finalFailures: { round: number; phase: string; node: string; outcome: Outcome }[] = [];
      const phaseTimes: { round: number; phase: string; ms: number; worstNodeMs: number }[] = [];
      const violations: string[] = [];
      /** Nodes out of the run after failing an attempt and its retry. */
      const out = new Set<number>();
      let deploys = 0;
      /** Deploys whose write_image was adopted from a killed conductor (no 'started' row). */
      let adopted = 0;
      let nodePhases = 0;
      /** How the node-phases ended. */
      const ended = { reached: 0, failed: 0, stuck: 0, unexpected: 0 };
      let diagnosed = 0;

      /** What to print about a node that broke an invariant. */
      const diagnose = async (i: number): Promise<string> => {
        if (diagnosed++ > 6) return '';
        const uuid = uuids[i]!;
        const history = await lab.history(uuid).catch((e: Error) => [{ event: e.message }]);
        const logs = system
          .logs()
          .split('\n')
          .filter((l) => l.includes(uuid) && !/"(incoming request|request completed)"/.test(l))
          .slice(-30)
          .join('\n');
        const runs = lab.runs.filter((r) => r.server === i);
        return (
          `\n--- ${names[i]} (${uuid})\nhistory:\n${history
            .map(
              (h: any) =>
                `  ${h.created_at} ${h.severity ?? ''} ${h.conductor ?? ''} ${h.from_state ?? ''} → ${h.to_state ?? ''} ${h.event}`,
            )
            .join('\n')}` +
          `\nagent runs: ${runs.map((r) => `${clock(r.startedAt)}–${r.endedAt ? clock(r.endedAt) : 'running'}${r.killedAt ? ' (killed)' : ''}`).join(', ')}` +
          `\nservice logs about it:\n${logs}` +
          `\nlast agent output:\n${(runs.at(-1)?.output ?? lab.hosts[i]!.output()).slice(-2000)}`
        );
      };
      const violate = async (i: number | undefined, what: string) => {
        const line = `${i === undefined ? '' : `${names[i]}: `}${what}`;
        say(`VIOLATION ${line}`);
        violations.push(line + (i === undefined ? '' : await diagnose(i)));
      };

      const enroll = async (i: number): Promise<string> => {
        const server = fleet.servers[i]!;
        // No service may write it, whatever fails under it (the installation checks at its stop).
        system.registerSecret(server.password);
        const started = Date.now();
        for (;;) {
          if (Date.now() - started > BOUND_MS)
            throw new Error(`enrolling ${server.name} timed out`);
          try {
            const res = await lab.api('POST', '/v1/nodes', {
              name: server.name,
              driver: 'redfish',
              driver_info: server.driverInfo,
            });
            if (res.status === 201) return res.body.uuid as string;
            // A request whose answer was lost may have created it.
            if (res.status === 409) return (await lab.node(server.name)).uuid as string;
          } catch {
            // down: again
          }
          await sleep(300);
        }
      };

      const deployBody = (i: number) => (verb: string) =>
        verb === 'active'
          ? {
              target: 'active',
              configdrive: {
                meta_data: { hostname: names[i] },
                user_data: `#cloud-config\nhostname: ${names[i]}\n`,
              },
            }
          : { target: verb };
      /** Before a deploy: the image in instance_info (undeploy clears it). */
      const prepareDeploy = async (node: any, verb: string) => {
        if (verb !== 'active' || node.instance_info?.image_source) return;
        const res = await lab.api('PATCH', `/v1/nodes/${node.uuid}`, [
          {
            op: 'add',
            path: '/instance_info/image_source',
            value: `${origin.url}/images/test.qcow2`,
          },
          { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
          { op: 'add', path: '/instance_info/image_disk_format', value: 'qcow2' },
        ]);
        if (res.status !== 200) throw new Error(`PATCH ${res.status}`); // tried again by the driver
      };

      /** Runs one phase on every node still in the run, with the chaos loop going. */
      const runPhase = async (round: number, phase: Phase) => {
        const label = `round ${round} ${phase.name}`;
        const started = Date.now();
        say(`${label}: starts`);
        const chaos = new Chaos(lab, plan, label);
        const active = uuids.map((_, i) => i).filter((i) => !out.has(i));
        let outcomes: (Outcome | undefined)[];
        try {
          outcomes = await Promise.all(
            uuids.map((uuid, i) =>
              out.has(i)
                ? undefined
                : drive(
                    lab,
                    uuid,
                    phase,
                    round,
                    deployBody(i),
                    phase.name === 'deploy' ? prepareDeploy : async () => undefined,
                  ),
            ),
          );
        } finally {
          await chaos.stop();
        }
        const ms = Date.now() - started;
        const worstNodeMs = Math.max(...outcomes.map((o) => o?.ms ?? 0));
        phaseTimes.push({ round, phase: phase.name, ms, worstNodeMs });
        say(`${label}: every node settled in ${(ms / 1000).toFixed(1)} s; checking`);
        nodePhases += active.length;

        for (const i of active) {
          const outcome = outcomes[i]!;
          ended[outcome.kind]++;
          failures.push(...outcome.failures);
          for (const f of outcome.failures)
            if (!f.lastError)
              await violate(i, `failed ${phase.name} in '${f.state}' with no last_error`);
          if (outcome.kind === 'stuck' || outcome.kind === 'unexpected') {
            await violate(
              i,
              `${phase.name}: ${outcome.detail} (it is '${outcome.node?.provision_state}' → ${outcome.node?.target_provision_state}, reservation ${outcome.node?.reservation}, last_error ${outcome.node?.last_error})`,
            );
            out.add(i);
          } else if (outcome.kind === 'failed') {
            finalFailures.push({ round, phase: phase.name, node: names[i]!, outcome });
            out.add(i);
          }
        }

        // No lease left held: once every node rests, every reservation goes within a few seconds.
        await waitFor(
          'every lease released',
          async () =>
            (await Promise.all(uuids.map((uuid) => lab.node(uuid)))).every(
              (n) => n.reservation === null,
            ),
          10_000,
          200,
        ).catch(async () => {
          const held = (await Promise.all(uuids.map((uuid) => lab.node(uuid)))).flatMap((n, i) =>
            n.reservation === null ? [] : [i],
          );
          for (const i of held) await violate(i, `lease still held after ${phase.name}`);
        });
        // No ramdisk left running: every operation tore its agent down.
        await waitFor(
          'no agent left running',
          async () => lab.agentsRunning().length === 0,
          10_000,
        ).catch(async () => {
          for (const i of lab.agentsRunning())
            await violate(i, `an agent still runs after ${phase.name}`);
        });

        for (const i of active) {
          const outcome = outcomes[i]!;
          if (outcome.kind !== 'reached') continue;
          await checkPhase(i, phase, started, outcome);
        }
      };

      /** The invariants of one node that reached the target of `phase`. */
      const checkPhase = async (i: number, phase: Phase, started: number, outcome: Outcome) => {
        const uuid = uuids[i]!;
        const history = (await lab.history(uuid)).filter(
          (h) => Date.parse(h.created_at) >= started,
        );
        const arrivals = history.filter(
          (h) => h.event_type === 'provisioning' && h.to_state === phase.target,
        );
        if (arrivals.length !== 1)
          await violate(
            i,
            `${phase.name}: ${arrivals.length} arrivals in '${phase.target}' instead of 1`,
          );
        const server = fleet.servers[i]!;
        const bmc = server.bmc.state;
        if (phase.name === 'inspect' || phase.name === 'undeploy' || phase.name === 'provide') {
          if (bmc.media.Cd.inserted)
            await violate(i, `${phase.name}: the boot CD is still inserted`);
        }
        if (phase.name === 'inspect' && bmc.power !== 'Off')
          await violate(i, `inspect: the server is ${bmc.power}, not Off`);
        if (phase.name !== 'deploy') return;

        deploys++;
        // The successful attempt: from the last 'active' the API accepted.
        const acceptedAt = history.filter((h) => h.event === `'active' accepted`).at(-1);
        const attempt = acceptedAt
          ? history.filter((h) => Date.parse(h.created_at) >= Date.parse(acceptedAt.created_at))
          : history;
        const since = acceptedAt ? Date.parse(acceptedAt.created_at) : started;
        const events = attempt.map((h) => h.event as string);
        const boots = events.filter((e) =>
          /^booting the agent ramdisk .* for deploy/.test(e),
        ).length;
        const startedSteps = events.filter((e) => e === 'deploy step write_image started').length;
        const finished = events.filter((e) => e === 'deploy step write_image finished').length;
        if (finished !== 1)
          await violate(
            i,
            `deploy: write_image finished ${finished} times in the successful attempt`,
          );
        // At most one start per boot of the ramdisk. None is possible: a conductor killed after
        // the agent took the step and before it wrote the row leaves it to the next conductor,
        // which finds the step running on the agent and adopts it without starting it again
        // (steps.ts, runningStep), and without a 'started' row.
        if (startedSteps > boots)
          await violate(
            i,
            `deploy: write_image started ${startedSteps} times over ${boots} ramdisk boot(s) (at most one per boot)`,
          );
        if (startedSteps === 0) adopted++;
        // The agents: each run starts write_image at most once and writes at most once; a write
        // other than the last one is only allowed to a run the test killed (its result was never
        // taken, so the step had to run again on a new boot).
        const runs = lab.runs.filter((r) => r.server === i && r.startedAt >= since);
        const writers: AgentRun[] = [];
        for (const run of runs) {
          const lines = lab.runLines(run);
          const steps = lines.filter((l) => l.msg === 'deploy step started').length;
          const written = lines.filter((l) => l.msg === 'image written').length;
          if (steps > 1 || written > 1)
            await violate(
              i,
              `deploy: one agent run started ${steps} deploy steps and wrote ${written} images`,
            );
          if (written > 0) writers.push(run);
        }
        if (writers.length === 0) await violate(i, 'deploy: no agent run wrote the image');
        const rewritten = writers.slice(0, -1).filter((r) => r.killedAt === undefined);
        if (rewritten.length > 0)
          await violate(
            i,
            `deploy: the image was written ${writers.length} times, ${rewritten.length} of them by agents that were not killed`,
          );
        if (writers.length > 1)
          say(
            `${names[i]}: image written ${writers.length} times (the earlier writers were killed before their result was taken)`,
          );
        // The disk holds the image and its config drive; the server boots from it.
        try {
          await expectDeployedDisk(lab.hosts[i]!.disks['/dev/sda']!, image, server.name);
        } catch (error) {
          await violate(i, `deploy: the disk does not hold the image: ${(error as Error).message}`);
        }
        if (bmc.power !== 'On' || bmc.boot.target !== 'Hdd' || bmc.media.Cd.inserted)
          await violate(
            i,
            `deploy: BMC power ${bmc.power}, boot ${bmc.boot.target}, CD ${bmc.media.Cd.inserted ? 'in' : 'out'}`,
          );
        if (outcome.node.last_error)
          await violate(i, `deploy: active with last_error ${outcome.node.last_error}`);
      };

      const started = Date.now();
      try {
        for (let round = 1; round <= ROUNDS; round++) {
          if (round === 1) {
            say('round 1 enroll: starts');
            const chaos = new Chaos(lab, plan, 'round 1 enroll');
            try {
              uuids.push(...(await Promise.all(fleet.servers.map((_, i) => enroll(i)))));
            } finally {
              await chaos.stop();
            }
            nodePhases += SERVERS;
            ended.reached += SERVERS;
            const listed = await lab.api('GET', '/v1/nodes?fields=uuid,name');
            expect(listed.status, listed.text).toBe(200);
            if (listed.body.nodes.length !== SERVERS)
              await violate(
                undefined,
                `enroll: ${listed.body.nodes.length} nodes for ${SERVERS} servers`,
              );
          }
          await runPhase(round, PHASES.manage!);
          if (INSPECT) await runPhase(round, PHASES.inspect!);
          await runPhase(round, PHASES.provide!);
          await runPhase(round, PHASES.deploy!);
          await runPhase(round, PHASES.undeploy!);
        }

        // The whole history of every node, before the nodes go.
        const histories = await Promise.all(uuids.map((uuid) => lab.history(uuid)));
        for (const [i, history] of histories.entries()) {
          // No row written twice: same time, event and states.
          const seen = new Set<string>();
          for (const h of history) {
            const key = `${h.created_at}|${h.event}|${h.from_state}|${h.to_state}`;
            if (seen.has(key)) await violate(i, `history row written twice: ${key}`);
            seen.add(key);
          }
          // The provision transitions chain: each starts where the previous one ended. A
          // transition replayed from a stale state (a redelivered command, two owners) breaks it.
          const transitions = history.filter(
            (h) => h.event_type === 'provisioning' && h.from_state && h.to_state,
          );
          for (let k = 1; k < transitions.length; k++) {
            const [a, b] = [transitions[k - 1], transitions[k]];
            if (a.to_state !== b.from_state)
              await violate(
                i,
                `history: '${a.from_state}' → '${a.to_state}' (${a.created_at}) followed by '${b.from_state}' → '${b.to_state}' (${b.created_at})`,
              );
          }
        }

        // What the services did about the kills, as the histories tell it.
        const rows = histories.flat();
        const rebooted = rows.filter((h) => /booting the agent ramdisk again/.test(h.event)).length;
        const retried = rows.filter((h) =>
          /failed on something that may be back soon/.test(h.event),
        ).length;
        const takenOver = rows.filter(
          (h) => h.event === 'taken over' || /^taken over/.test(h.event),
        ).length;

        // Time to recover: from a kill to the next state change of every node it interrupted.
        const recoveries = lab.kills.map((kill) => {
          const next = kill.busy.map((uuid) => {
            const history = histories[uuids.indexOf(uuid)] ?? [];
            const row = history.find(
              (h) =>
                h.to_state &&
                Date.parse(h.created_at) >= kill.at &&
                h.event_type === 'provisioning',
            );
            // None: the node had come to rest just before the kill (the test saw it a poll late).
            return row ? Date.parse(row.created_at) - kill.at : 0;
          });
          return { kill, ms: next.length ? Math.max(...next) : 0 };
        });

        // The nodes go (nothing holds them any more).
        for (const [i, uuid] of uuids.entries()) {
          if (out.has(i)) continue;
          const res = await lab.api('DELETE', `/v1/nodes/${uuid}`);
          if (res.status !== 204) await violate(i, `DELETE answered ${res.status} ${res.text}`);
        }

        await lab.restartCrashed();
        for (const c of lab.crashes)
          await violate(
            undefined,
            `${c.name} (pid ${c.pid}) exited ${c.exit} by itself at ${clock(c.at)} (seen then); its last lines:\n${c.tail}`,
          );

        // 5xx (to the test or to the agents): only while the API, its database or the bus was
        // down, or in the 10 s after it came back (pools reconnect).
        const outages = lab.kills
          .filter((k) => k.target === 'postgres' || k.target === 'api' || k.target === 'nats')
          .map((k) => ({ kill: k, from: k.at, to: k.back + 10_000 }));
        const apiErrors = lab.apiServerErrors();
        const cause = (e: ServerError) => {
          // The latest kill whose window holds it (windows overlap when kills follow closely).
          const kill = outages.filter(({ from, to }) => e.at >= from && e.at <= to).at(-1)?.kill;
          if (!kill) return undefined;
          return e.at <= kill.back
            ? `${kill.target} down`
            : `${kill.target} back ${Math.ceil((e.at - kill.back) / 1000)} s before`;
        };
        const unexplained = apiErrors.filter((e) => !cause(e));
        for (const e of unexplained)
          await violate(
            undefined,
            `${e.method} ${e.path} answered ${e.status} at ${clock(e.at)} with nothing down: ${e.text.slice(0, 300)}`,
          );
        const kinds = new Map<string, number>();
        for (const e of apiErrors) {
          // The body the test got, when it was the test's request.
          e.text ||=
            lab.serverErrors.find(
              (mine) =>
                Math.abs(mine.at - e.at) < 1_000 && e.path.startsWith(mine.path.split('?')[0]!),
            )?.text ?? '';
          const key = `${e.status} ${e.method} ${e.path.replace(/[0-9a-f-]{36}/g, '{uuid}').replace(/\?.*/, '')} (${cause(e) ?? 'nothing down'}): ${e.text.slice(0, 160)}`;
          kinds.set(key, (kinds.get(key) ?? 0) + 1);
        }

        // ---- The figures
        const byTarget = new Map<string, number>();
        for (const k of lab.kills) byTarget.set(k.target, (byTarget.get(k.target) ?? 0) + 1);
        const worstByTarget = new Map<string, number>();
        for (const { kill, ms } of recoveries)
          worstByTarget.set(kill.target, Math.max(worstByTarget.get(kill.target) ?? 0, ms));
        const worst = recoveries.reduce((a, b) => (b.ms > a.ms ? b : a), {
          kill: undefined,
          ms: 0,
        } as {
          kill?: Kill;
          ms: number;
        });
        const phaseStats = Object.keys(PHASES).flatMap((name) => {
          const times = phaseTimes.filter((p) => p.phase === name).map((p) => p.ms);
          if (times.length === 0) return [];
          const mean = times.reduce((a, b) => a + b, 0) / times.length;
          return [
            `${name} mean ${(mean / 1000).toFixed(1)} s, max ${(Math.max(...times) / 1000).toFixed(1)} s`,
          ];
        });
        const allowed = Math.floor(nodePhases / 20);
        say(
          [
            '',
            `==== chaos summary: seed ${SEED_TEXT}, ${ROUNDS} round(s), ${SERVERS} servers, ${((Date.now() - started) / 1000).toFixed(0)} s`,
            `kills: ${lab.kills.length} (${[...byTarget.entries()].map(([t, n]) => `${t} ${n}`).join(', ')})`,
            `node-phases (a node through enroll, manage, inspect, provide, deploy or undeploy): ${nodePhases}: ` +
              `${ended.reached} at their target, ${ended.failed} failed after the test's retry (allowed ${allowed}), ` +
              `${ended.stuck} stuck past the bound, ${ended.unexpected} in an unexpected state; failed attempts retried: ${failures.length}`,
            `deploys verified (image on disk, written once, one arrival in active): ${deploys}, ` +
              `${adopted} of them with write_image adopted from a killed conductor`,
            `recoveries in the histories: ${rebooted} ramdisk boot(s) retried after a dead agent or a boot with no contact, ` +
              `${retried} step(s) put off after a transient failure, ${takenOver} node(s) failed as 'taken over'`,
            ...failures.map(
              (f) =>
                `  failed attempt: round ${f.round} ${f.phase} ${f.node} → '${f.state}': ${f.lastError}`,
            ),
            `phases: ${phaseStats.join('; ')}`,
            `worst time from a kill to the next state change of every node it interrupted: ${(worst.ms / 1000).toFixed(1)} s` +
              (worst.kill
                ? ` (kill #${worst.kill.n}, ${worst.kill.target}, ${worst.kill.phase})`
                : ''),
            `  by target: ${[...worstByTarget.entries()].map(([t, ms]) => `${t} ${(ms / 1000).toFixed(1)} s`).join(', ')}`,
            `slowest node in a phase (retries included): ${(Math.max(...phaseTimes.map((p) => p.worstNodeMs)) / 1000).toFixed(1)} s (bound ${BOUND_MS / 1000} s; deadlines ${DEADLINE_MS / 60_000} min)`,
            `5xx answered by the API: ${apiErrors.length} (${unexplained.length} with nothing down; ${lab.serverErrors.length} to the test's own requests)`,
            ...[...kinds.entries()].slice(0, 20).map(([k, n]) => `  ${n} × ${k}`),
            `boots that could not read their media: ${lab.hostErrors.length}`,
            `invariant violations: ${violations.length}`,
            '',
          ].join('\n'),
        );

        expect(violations, violations.join('\n\n')).toEqual([]);
        expect(
          finalFailures.length,
          `nodes failed after their retry:\n${finalFailures.map((f) => `round ${f.round} ${f.phase} ${f.node}: ${f.outcome.failures.map((x) => `'${x.state}': ${x.lastError}`).join(' / ')}`).join('\n')}`,
        ).toBeLessThanOrEqual(allowed);
      } catch (error) {
        say(
          `kills so far:\n${lab.kills.map((k) => `  #${k.n} ${clock(k.at)} ${k.phase}: ${k.target}${k.server === undefined ? '' : ` ${names[k.server]}`} (back ${clock(k.back)})`).join('\n')}`,
        );
        throw error;
      } finally {
        await lab.stop();
      }
    },
    timeoutMs,
  );
});
