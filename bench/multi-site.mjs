// Sites scale out (issue #9, point 5): one Ingot installation with one API, one image cache and
// one inspector, and per site (east, west) R conductors and R power workers; N fake-hardware nodes
// enrolled in each site and taken through the lifecycle through the API (32 clients), each phase
// timed, with the CPU of every process from /proc and, per replica, which site's nodes it touched
// (bench/multi-site/touches.mjs says from what). With --kill (R = 2), one conductor of east is
// killed -9 during deploy and one power worker of east during power off, each once a third of
// east has arrived; the phase must still finish with no failed node.
//   usage: node bench/multi-site.mjs [--nodes-per-site 1000] [--replicas 1|2] [--kill]
//          [--concurrency 32] [--poll-ms 1000] [--out DIR]   (bench/multi-site.sh builds first)
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Installation } from '@ingot/lab';
import { KillPlan } from './multi-site/kill.mjs';
import { Lifecycle, PHASES } from './multi-site/lifecycle.mjs';
import { CpuSampler, cpuBetween } from './multi-site/proc-cpu.mjs';
import { printRun } from './multi-site/report.mjs';
import {
  conductorSites,
  crossSiteTouches,
  historySince,
  nodeSites,
  ReplicaCounters,
  touchesBetween,
} from './multi-site/touches.mjs';

const { values: args } = parseArgs({
  options: {
    'nodes-per-site': { type: 'string', default: '1000' },
    replicas: { type: 'string', default: '1' },
    kill: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '32' },
    // Not the anchor's 250 ms: a full list of 2000 nodes 4 times a second costs the API and
    // PostgreSQL more CPU than the phase's work once a shared machine stretches the phases.
    'poll-ms': { type: 'string', default: '1000' },
    'phase-timeout-s': { type: 'string', default: '900' },
    out: { type: 'string' },
  },
});
const SITES = ['east', 'west'];
const NODES_PER_SITE = Number(args['nodes-per-site']);
const REPLICAS = Number(args.replicas);
if (!Number.isInteger(NODES_PER_SITE) || NODES_PER_SITE < 3 || NODES_PER_SITE > 5000) {
  console.error('--nodes-per-site must be an integer from 3 to 5000');
  process.exit(2);
}
if (![1, 2].includes(REPLICAS) || (args.kill && REPLICAS !== 2)) {
  console.error('--replicas must be 1 or 2, and --kill needs --replicas 2');
  process.exit(2);
}
const label = `r${REPLICAS}${args.kill ? '-kill' : ''}`;

// As bench/ingot-run.mjs: the anchor's Ironic has automated_clean=false and noauth.
// Power sync off: fake-hardware keeps each node's power state in the memory of the power worker
// that set it, so with two workers per site a sync read through the other one finds the "wrong"
// state and records it as changed outside Ingot, undoing the phase (seen in a 2 × 1000 run).
const TUNING = {
  INGOT_AUTOMATED_CLEAN: 'disabled',
  INGOT_AUTH_STRATEGY: 'noauth',
  INGOT_POWER_SYNC_INTERVAL_MS: process.env.INGOT_POWER_SYNC_INTERVAL_MS ?? '0',
};
// Small pools: 2 × 2 conductors and power workers (~46 connections in all) must fit beside the
// other tenants of the shared PostgreSQL (100 connections; "too many clients" stalls the
// services). The same in every variant, so that their CPU compares.
const POOL = { api: '6', conductor: '6', power: '2', imagecache: '1', inspector: '1' };
process.env.LOG_LEVEL ??= 'info';

const say = (line) => console.error(`[multi-site ${label}] ${line}`);

/** Starts the installation: shared services on the default site, R of each worker per site. */
async function startInstallation() {
  const system = await Installation.create(TUNING, 'ingot_ms');
  const start = (kind, name, env = {}) =>
    system.startService(kind, { INGOT_DB_POOL_SIZE: POOL[kind], ...env }, name);
  try {
    await start('imagecache', 'imagecache');
    await start('inspector', 'inspector');
    for (const site of SITES)
      for (let i = 1; i <= REPLICAS; i++) {
        await start('power', `power-${site}-${i}`, workerEnv('power', site, i));
        await start('conductor', `conductor-${site}-${i}`, workerEnv('conductor', site, i));
      }
    await start('api', 'api');
  } catch (error) {
    await system.stop().catch(() => undefined);
    throw error;
  }
  return system;
}

/** replica name → the site it was started for (INGOT_SITE). */
const startedFor = new Map();

function workerEnv(kind, site, n) {
  const id = `${kind}-${site}-${n}`;
  startedFor.set(id, site);
  return {
    INGOT_DB_POOL_SIZE: POOL[kind],
    INGOT_SITE: site,
    ...(kind === 'conductor' ? { INGOT_CONDUCTOR_ID: id } : { INGOT_WORKER_ID: id }),
  };
}

/** The kill variant: a conductor of east in deploy, a power worker of east in power off. */
function killPlan(system, db) {
  if (!args.kill) return new KillPlan(system, db, {});
  const victim = (kind, phase) => ({
    [phase]: {
      kind,
      site: 'east',
      victim: `${kind}-east-1`,
      replacement: `${kind}-east-3`,
      env: workerEnv(kind, 'east', 3),
    },
  });
  return new KillPlan(system, db, {
    ...victim('conductor', 'deploy'),
    ...victim('power', 'power_off'),
  });
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

say(
  `starting: 2 sites × ${REPLICAS} conductor(s) + ${REPLICAS} power worker(s), ${NODES_PER_SITE} nodes per site`,
);
const system = await startInstallation();
const stopAll = async () => {
  await system.stop().catch((error) => console.error(`stopping: ${error}`));
};
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
process.once('SIGTERM', () => void stopAll().then(() => process.exit(143)));

const db = new pg.Client({ connectionString: system.databaseUrl });
const run = {
  meta: {
    label,
    started_at: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: cpus().length,
    load_at_start: loadavg().map((x) => Math.round(x * 100) / 100),
    sites: SITES,
    nodes_per_site: NODES_PER_SITE,
    replicas: REPLICAS,
    kill: args.kill,
    concurrency: Number(args.concurrency),
    db_pool: POOL,
  },
  phases: [],
};
let exitCode = 1;
try {
  await db.connect();
  const kindOf = (name) => system.services.find((s) => s.name === name)?.kind ?? 'unknown';
  const replicaServices = () =>
    system.services.filter((s) => ['conductor', 'power'].includes(s.kind));
  const sampler = new CpuSampler(
    () => new Map(system.services.map((s) => [s.name, s.child.pid])),
    db,
  );
  const counters = new ReplicaCounters(replicaServices);
  await sampler.start();
  counters.start();
  const lifecycle = new Lifecycle({
    url: system.apiUrl,
    sites: SITES,
    nodesPerSite: NODES_PER_SITE,
    concurrency: Number(args.concurrency),
    pollMs: Number(args['poll-ms']),
    retries: 5,
    retryMs: 500,
    phaseTimeoutS: Number(args['phase-timeout-s']),
  });
  const kills = killPlan(system, db);
  let sites = new Map();
  let historyId = 0;
  for (const phase of PHASES) {
    if (phase !== 'enroll' && lifecycle.nodes.length === 0) break;
    say(`phase ${phase} (load ${loadavg()[0].toFixed(2)})`);
    const cpu0 = await sampler.snapshot();
    const count0 = await counters.snapshot();
    const result = await lifecycle.run(phase, kills.progressHook(phase, lifecycle.nodes));
    const cpu = cpuBetween(cpu0, await sampler.snapshot());
    const count1 = await counters.snapshot();
    if (phase === 'enroll') sites = await nodeSites(db);
    const history = await historySince(db, historyId, sites);
    historyId = history.lastId;
    // A conductor's site is the one it registered; a power worker's the one it was started for.
    const registered = await conductorSites(db);
    const siteOf = (name) => registered.get(name) ?? startedFor.get(name) ?? 'unknown';
    const replicas = touchesBetween(count0, count1, history, siteOf, kindOf);
    const kill = await kills.afterPhase(phase, result);
    const { reached_at_ms: _reached, ...kept } = result;
    run.phases.push({
      ...kept,
      cpu,
      replicas,
      cross_site_touches: crossSiteTouches(replicas),
      kill,
    });
    say(
      `${phase}: ${result.wall_s} s, failed nodes ${result.failed_nodes}, failed requests ${result.failed_requests}`,
    );
  }
  sampler.stop();
  await counters.stop();
  run.meta.finished_at = new Date().toISOString();
  run.meta.load_at_end = loadavg().map((x) => Math.round(x * 100) / 100);
  const failures = run.phases.reduce((a, p) => a + p.failed_nodes + p.failed_requests, 0);
  exitCode = failures === 0 && run.phases.every((p) => p.cross_site_touches === 0) ? 0 : 1;
  if (args.out) {
    await mkdir(args.out, { recursive: true });
    await writeFile(`${args.out}/${label}.json`, JSON.stringify(run, null, 2));
    await mkdir(`${args.out}/logs-${label}`, { recursive: true });
    for (const s of system.services)
      await writeFile(`${args.out}/logs-${label}/${s.name}.log`, s.output.join(''));
  }
  console.log(printRun(run));
} finally {
  await db.end().catch(() => undefined);
  await stopAll();
}
process.exit(exitCode);
