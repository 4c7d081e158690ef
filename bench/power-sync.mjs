// Idle power sync at scale (issue #9): N redfish nodes whose BMCs are the systems of one light
// BMC host (lab's LightBmcHost, one port on 127.0.0.1), taken to a resting state through Ingot's
// API; then the conductor syncs their power every interval while this script measures, minute by
// minute, the CPU of each Ingot service and of PostgreSQL, the BMC requests, the sync passes, and
// the delay until the API shows a power change made out of band at a random moment.
//   usage: node bench/power-sync.mjs OUT_DIR [--nodes 1000] [--interval-ms 60000] [--minutes 3]
//          [--state active|available] [--workers N] [--flips-per-minute 6] [--concurrency 32]
//          [--bmc-delay-ms 0] [--power-env K=V]... [--profile] [--skip-baseline] [--seed 1]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';
import { parseArgs } from 'node:util';
import { Installation, LightBmcHost } from '@ingot/lab';
import { startTrafficRecorder, syncPasses } from './power-sync/bmc-traffic.mjs';
import { enrollAll, listAll, provisionAll, waitForAll } from './power-sync/fleet-setup.mjs';
import { startFlips, summarizeDelays } from './power-sync/flips.mjs';
import { CpuReader, loadAverage, processRssMiB } from './power-sync/proc-cpu.mjs';
import { printReport } from './power-sync/report.mjs';

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    nodes: { type: 'string', default: '1000' },
    'interval-ms': { type: 'string', default: '60000' },
    minutes: { type: 'string', default: '3' },
    state: { type: 'string', default: 'active' },
    workers: { type: 'string' },
    'flips-per-minute': { type: 'string', default: '6' },
    concurrency: { type: 'string', default: '32' },
    'bmc-delay-ms': { type: 'string', default: '0' },
    'power-env': { type: 'string', multiple: true, default: [] },
    profile: { type: 'boolean', default: false },
    'skip-baseline': { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
  },
});
const [out] = positionals;
if (!out || !['active', 'available'].includes(opt.state)) {
  console.error(
    'usage: node bench/power-sync.mjs OUT_DIR [--nodes N] [--state active|available] ...',
  );
  process.exit(2);
}
const nodes = Number(opt.nodes);
const intervalMs = Number(opt['interval-ms']);
const minutes = Number(opt.minutes);
const WINDOW_MS = 60_000;
mkdirSync(out, { recursive: true });

const began = Date.now();
const log = (message) =>
  console.error(`[power-sync +${((Date.now() - began) / 1000).toFixed(0)}s] ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** mulberry32: the same flips for the same seed. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TUNING = {
  INGOT_AUTOMATED_CLEAN: 'disabled',
  INGOT_AUTH_STRATEGY: 'noauth',
  // The services' own pool sizes, as deployed (the lab's test default is smaller).
  INGOT_DB_POOL_SIZE: '',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  // No sync while the fleet is set up; the conductor restarts with it for the measurement.
  INGOT_POWER_SYNC_INTERVAL_MS: '0',
};
const powerEnv = Object.fromEntries(opt['power-env'].map((kv) => kv.split(/=(.*)/s, 2)));
const profileDir = join(out, 'profiles');
const nodeArgs = opt.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];

const heapBefore = process.memoryUsage().heapUsed;
const host = await LightBmcHost.start({
  count: nodes,
  power: opt.state === 'active' ? 'On' : 'Off',
  responseDelayMs: Number(opt['bmc-delay-ms']),
});
const hostHeapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
log(`light BMC host ${host.url}: ${nodes} systems, heap +${hostHeapMiB.toFixed(1)} MiB`);

const system = await Installation.start({ ...TUNING, ...powerEnv }, { nodeArgs });
const result = {
  started_at: new Date(began).toISOString(),
  options: { ...opt, nodes, interval_ms: intervalMs },
  machine: { load_average_at_start: loadAverage() },
  light_host: { systems: nodes, heap_mib: hostHeapMiB },
};
try {
  const running = () =>
    system.services
      .filter((s) => s.child.exitCode === null && !s.child.killed)
      .map((s) => ({ name: s.name, pid: s.child.pid }));
  const cpu = new CpuReader(running, new URL(system.databaseUrl).pathname.slice(1));
  const ingotCpu = (a, b) =>
    running().reduce((sum, { name }) => sum + (b[name] ?? 0) - (a[name] ?? 0), 0);

  // Setup: each step timed, with the CPU it cost.
  result.setup = {};
  const step = async (name, fn) => {
    const t0 = Date.now();
    const c0 = cpu.read();
    const value = await fn();
    const c1 = cpu.read();
    result.setup[name] = {
      wall_s: (Date.now() - t0) / 1000,
      ingot_cpu_s: ingotCpu(c0, c1),
      postgres_cpu_s: c1['postgres (this db)'] - c0['postgres (this db)'],
    };
    log(`${name}: ${JSON.stringify(result.setup[name])}`);
    return value;
  };
  const concurrency = Number(opt.concurrency);
  const wait = (uuids, state) => waitForAll(system, uuids, state, { timeoutMs: 30 * 60_000, log });
  const instanceInfo =
    opt.state === 'active' ? { image_source: 'http://127.0.0.1:9/running.qcow2' } : undefined;
  const uuids = await step('enroll', () =>
    enrollAll(system, host, nodes, concurrency, instanceInfo),
  );
  const managed = await step('manage', async () => {
    await provisionAll(system, uuids, 'manage', concurrency);
    return wait(uuids, 'manageable');
  });
  if (managed.failed.length) log(`${managed.failed.length} nodes failed to verify`);
  const verb = opt.state === 'active' ? 'adopt' : 'provide';
  const rested = await step(verb, async () => {
    await provisionAll(system, uuids, verb, concurrency);
    return wait(uuids, opt.state);
  });
  result.setup.failed = [...managed.failed, ...rested.failed].slice(0, 20);

  const reading = () => ({
    cpu: cpu.read(),
    counts: host.requestCounts(),
    total: host.requestCount,
  });
  const windowOf = (minute, a, b) => {
    const reads = b.counts.map((n, i) => n - a.counts[i]);
    return {
      minute,
      cpu_s: Object.fromEntries(Object.keys(b.cpu).map((k) => [k, b.cpu[k] - (a.cpu[k] ?? 0)])),
      bmc_requests: b.total - a.total,
      reads_per_system: { min: Math.min(...reads), max: Math.max(...reads) },
      systems_not_read: reads.filter((n) => n === 0).length,
      load_average: loadAverage(),
    };
  };
  // What the services cost at rest without the sync, to set the sync's own cost apart.
  if (!opt['skip-baseline']) {
    log('baseline: one minute without power sync');
    const before = reading();
    await sleep(WINDOW_MS);
    result.baseline = windowOf('no sync', before, reading());
    log(`baseline: ${JSON.stringify(result.baseline)}`);
  }

  // The measured conductor: sync every interval, as configured. A profiled power worker restarts
  // too, so that its profile holds the sync alone (it then logs in to every BMC again).
  if (opt.profile) {
    await system.kill('power', 'SIGTERM');
    await system.startService('power');
  }
  await system.kill('conductor', 'SIGTERM');
  const syncEnv = {
    INGOT_POWER_SYNC_INTERVAL_MS: String(intervalMs),
    ...(opt.workers ? { INGOT_POWER_SYNC_WORKERS: opt.workers } : {}),
  };
  await system.startService('conductor', syncEnv);
  result.conductor_env = syncEnv;
  if (opt.profile) {
    mkdirSync(profileDir, { recursive: true });
    const names = Object.fromEntries(system.services.map((s) => [s.child.pid, s.name]));
    writeFileSync(join(profileDir, 'services.json'), JSON.stringify(names));
  }
  // The first pass starts one interval after the conductor: the minutes are counted from it.
  const quiet = host.requestCount;
  while (host.requestCount === quiet) await sleep(100);
  log(`measuring ${minutes} × 60 s from the first sync request, the sync every ${intervalMs} ms`);

  const traffic = startTrafficRecorder(host);
  const flips = startFlips({
    system,
    host,
    uuids,
    perMinute: Number(opt['flips-per-minute']),
    pollMs: 250,
    giveUpMs: Math.max(3 * intervalMs, 60_000),
    random: seeded(Number(opt.seed)),
  });
  const windows = [];
  let last = reading();
  const t0 = Date.now();
  for (let minute = 1; minute <= minutes; minute++) {
    await sleep(t0 + minute * WINDOW_MS - Date.now());
    const now = reading();
    windows.push(windowOf(minute, last, now));
    log(`minute ${minute}: ${JSON.stringify(windows.at(-1))}`);
    last = now;
  }
  log('waiting for the last flips to be seen');
  const flipped = await flips.stop();
  const series = traffic.stop();
  const after = await listAll(system);
  const states = {};
  for (const n of after.values()) states[n.power_state] = (states[n.power_state] ?? 0) + 1;
  const count = (test) => [...after.values()].filter(test).length;

  Object.assign(result, {
    windows,
    services: running().map(({ name, pid }) => ({ name, pid, rss_mib: processRssMiB(pid) })),
    sync_passes: syncPasses(series),
    flips: { ...summarizeDelays(flipped), list: flipped },
    nodes_after: {
      power_states: states,
      in_maintenance: count((n) => n.maintenance),
      with_last_error: count((n) => n.last_error),
    },
    light_host_after: { sessions: host.sessionCount, requests: host.requestCount },
    bmc_requests_per_second: series.map((s, i) => (i ? s.total - series[i - 1].total : 0)),
  });
  result.machine.load_average_at_end = loadAverage();
} finally {
  log('stopping');
  await system.stop();
  await host.stop();
}
writeFileSync(join(out, 'result.json'), JSON.stringify(result, null, 2));
printReport(result);
