// API replicas (issue #10 point 10): one Ingot installation whose API runs as R processes behind
// haproxy (round robin, health-checked on /healthz), N fake-hardware nodes enrolled through the API,
// then wrk with C connections for D seconds per scenario: GET one node (a random one per request),
// GET a detailed page of 100 nodes, and PATCH one node's `extra` (a random one per request). Per
// scenario: req/s, p50/p99 latency, non-2xx answers, socket errors, how the requests spread over
// the replicas (haproxy's counters), and the CPU seconds of the API processes, haproxy,
// this installation's PostgreSQL backends, wrk and everything else, from /proc. A baseline row
// sends wrk straight to one API, without haproxy.
//   usage: node bench/api-scale.mjs [--replicas 1,2,3] [--nodes 1000] [--connections 200]
//          [--duration 20] [--warmup 3] [--threads 2] [--enroll-concurrency 32] [--api-pool 10]
//          [--no-baseline] [--out DIR]          (bench/api-scale.sh builds first and picks DIR)
/* global fetch, AbortSignal -- Node's own, as in the services */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { URL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Installation, stablePort } from '@ingot/lab';
import { CpuSampler } from './multi-site/proc-cpu.mjs';
import { processCpuS } from './proc.mjs';

const { values: args } = parseArgs({
  options: {
    replicas: { type: 'string', default: '1,2,3' },
    nodes: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '200' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    'enroll-concurrency': { type: 'string', default: '32' },
    'api-pool': { type: 'string', default: '10' },
    'no-baseline': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const REPLICAS = [...new Set(args.replicas.split(',').map(Number))].sort((a, b) => a - b);
const NODES = Number(args.nodes);
const CONNECTIONS = Number(args.connections);
const DURATION_S = Number(args.duration);
const WARMUP_S = Number(args.warmup);
const THREADS = Number(args.threads);
const ENROLL_CONCURRENCY = Number(args['enroll-concurrency']);
const API_POOL = args['api-pool'];
if (REPLICAS.some((r) => !Number.isInteger(r) || r < 1 || r > 3)) {
  console.error('--replicas takes 1, 2 or 3, or a comma-separated list of them');
  process.exit(2);
}
if (!Number.isInteger(NODES) || NODES < 1 || !(DURATION_S > 0) || !(CONNECTIONS >= THREADS)) {
  console.error(
    '--nodes must be a positive integer, --duration positive, --connections ≥ --threads',
  );
  process.exit(2);
}
const OUT = resolve(args.out ?? `bench/results/${stamp()}-api-scale`);
const HAPROXY = process.env.HAPROXY ?? 'haproxy';
const WRK = process.env.WRK ?? 'wrk';
/** The microversion of the anchor's workload; `detail=True` needs 1.43 or later. */
const API_VERSION = '1.78';
/** A request still unanswered after this counts as a wrk timeout (a socket error). */
const WRK_TIMEOUT = '10s';

// As bench/ingot-run.mjs: noauth and no automated cleaning (the anchor's Ironic), power sync off
// (nothing but the API is measured). LOG_LEVEL info as there: the API logs one line per request,
// a real part of its cost per request, as Ironic's does.
const TUNING = {
  INGOT_AUTOMATED_CLEAN: 'disabled',
  INGOT_AUTH_STRATEGY: 'noauth',
  INGOT_POWER_SYNC_INTERVAL_MS: '0',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
};
/**
 * PostgreSQL connections per process. Three APIs of 10 beside a conductor and a power worker stay
 * well inside a 100-connection cluster shared with other work; the API's own default is 20
 * (`--api-pool 20` to measure with it).
 */
const POOL = { api: API_POOL, conductor: '4', power: '2' };

const say = (line) => console.error(`[api-scale] ${line}`);

function stamp() {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** The first line a tool prints for -v (wrk prints its usage after it and exits 1). */
function versionOf(tool) {
  const { stdout, error } = spawnSync(tool, ['-v'], { encoding: 'utf8' });
  if (error) throw new Error(`${tool} cannot run: ${error.message}`);
  return stdout.split('\n')[0];
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

// ---- wrk scenarios -------------------------------------------------------------------------------

/**
 * Lua shared by the scenarios: each wrk thread seeds its own random numbers, loads the node UUIDs
 * (WRK_UUIDS) and sends the API version; done() writes the figures as JSON to WRK_RESULT.
 */
const LUA_COMMON = `
local uuids = {}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads * 7919 + os.time())
end
function init(args)
  math.randomseed(seed)
  for line in io.lines(os.getenv("WRK_UUIDS")) do uuids[#uuids + 1] = line end
  wrk.headers["X-OpenStack-Ironic-API-Version"] = "${API_VERSION}"
end
function done(summary, latency, requests)
  local e = summary.errors
  local f = assert(io.open(os.getenv("WRK_RESULT"), "w"))
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
  f:close()
end
`;

const SCENARIOS = [
  {
    name: 'get-node',
    what: 'GET /v1/nodes/{uuid}, a random node per request',
    path: '/v1/nodes',
    lua: `${LUA_COMMON}
function request()
  return wrk.format("GET", "/v1/nodes/" .. uuids[math.random(#uuids)])
end
`,
  },
  {
    name: 'list-detail',
    what: 'GET /v1/nodes?detail=True&limit=100',
    path: '/v1/nodes?detail=True&limit=100',
    // No request(): wrk builds the one request once.
    lua: LUA_COMMON,
  },
  {
    name: 'patch-extra',
    what: 'PATCH /v1/nodes/{uuid} of extra (JSON Patch), a random node per request',
    path: '/v1/nodes',
    lua: `${LUA_COMMON}
function request()
  local body = '[{"op":"add","path":"/extra/bench","value":' .. math.random(1000000000) .. '}]'
  wrk.headers["Content-Type"] = "application/json"
  return wrk.format("PATCH", "/v1/nodes/" .. uuids[math.random(#uuids)], nil, body)
end
`,
  },
];

/** Runs wrk against `baseUrl` for `seconds`; resolves with the figures its done() wrote. */
async function runWrk(scenario, baseUrl, seconds, resultFile) {
  const script = join(OUT, 'wrk', `${scenario.name}.lua`);
  const child = spawn(
    WRK,
    [
      `-t${THREADS}`,
      `-c${CONNECTIONS}`,
      `-d${seconds}s`,
      `--timeout`,
      WRK_TIMEOUT,
      '-s',
      script,
      `${baseUrl}${scenario.path}`,
    ],
    {
      env: { ...process.env, WRK_UUIDS: join(OUT, 'wrk', 'uuids.txt'), WRK_RESULT: resultFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise((done) => child.on('exit', (c) => done(c)));
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${output}`);
  return { ...JSON.parse(await readFile(resultFile, 'utf8')), output };
}

// ---- haproxy -------------------------------------------------------------------------------------

/** haproxy in front of the API replicas; its config is kept in the results folder. */
async function startHaproxy(replicaUrls) {
  const port = await stablePort();
  const statsPort = await stablePort();
  const config = `# bench/api-scale.mjs: ${replicaUrls.length} API replica(s) behind one frontend
global
    # maxconn unset: haproxy derives it from the file descriptor limit.
    # No log lines: writing them would be haproxy work that the API replicas do not cause.

defaults
    mode http
    option http-keep-alive
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend ingot_api
    bind 127.0.0.1:${port}
    default_backend api_replicas

backend api_replicas
    balance roundrobin
    # A saturated replica answers /healthz late (it waits behind the requests in hand); it is
    # alive, and taking it out would only push its load onto the others. "downs" in the report
    # counts the replicas haproxy took out anyway.
    option httpchk GET /healthz
    http-check expect status 200
    timeout check 5s
${replicaUrls
  .map((url, i) => `    server api-${i + 1} ${new URL(url).host} check inter 2s fall 3 rise 2`)
  .join('\n')}

frontend stats
    bind 127.0.0.1:${statsPort}
    stats enable
    stats uri /stats
`;
  const file = join(OUT, `haproxy-r${replicaUrls.length}.cfg`);
  await writeFile(file, config);
  execFileSync(HAPROXY, ['-c', '-q', '-f', file]);
  // -db: in the foreground, a child of this process (its CPU is read from /proc like the others').
  const child = spawn(HAPROXY, ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  const exited = new Promise((done) => child.on('exit', (code) => done(code)));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${errors}`);
    const up = await serversUp(statsPort).catch(() => 0);
    if (up === replicaUrls.length) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy: ${up}/${replicaUrls.length} replicas passed the health check`);
    }
    await sleep(200);
  }
  return { url: `http://127.0.0.1:${port}`, statsPort, pid: child.pid, config: file, stop };
}

/**
 * haproxy's counters from its stats page: per replica (server `api-N`) the responses it relayed,
 * its health check state and how often it was taken out (chkdown); and the responses of the
 * frontend, which include those haproxy answered itself (503 when no replica is up).
 */
async function haproxyStats(statsPort) {
  const response = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`, {
    signal: AbortSignal.timeout(2_000),
  });
  const [header, ...lines] = (await response.text()).trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const rows = lines.map((line) =>
    Object.fromEntries(line.split(',').map((value, i) => [columns[i], value])),
  );
  const responses = (row) =>
    ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'].reduce(
      (sum, kind) => sum + Number(row[`hrsp_${kind}`] || 0),
      0,
    );
  const frontend = rows.find((r) => r.pxname === 'ingot_api' && r.svname === 'FRONTEND');
  return {
    servers: rows
      .filter((r) => r.pxname === 'api_replicas' && r.svname.startsWith('api-'))
      .map((r) => ({
        name: r.svname,
        up: r.status === 'UP' && r.check_status === 'L7OK',
        responses: responses(r),
        errors_5xx: Number(r.hrsp_5xx || 0),
        downs: Number(r.chkdown || 0),
      })),
    frontend: {
      responses: responses(frontend),
      non_2xx: responses(frontend) - Number(frontend.hrsp_2xx || 0),
      errors_5xx: Number(frontend.hrsp_5xx || 0),
    },
  };
}

async function serversUp(statsPort) {
  return (await haproxyStats(statsPort)).servers.filter((s) => s.up).length;
}

/** What haproxy counted between two haproxyStats() readings. */
function haproxyBetween(before, after) {
  const servers = after.servers.map((s) => {
    const was = before.servers.find((b) => b.name === s.name);
    return {
      name: s.name,
      responses: s.responses - was.responses,
      errors_5xx: s.errors_5xx - was.errors_5xx,
      downs: s.downs - was.downs,
    };
  });
  const sum = (key) => servers.reduce((total, s) => total + s[key], 0);
  const frontend = (key) => after.frontend[key] - before.frontend[key];
  return {
    servers,
    downs: sum('downs'),
    responses: frontend('responses'),
    non_2xx: frontend('non_2xx'),
    /** 5xx that haproxy answered itself instead of relaying a replica's (503: no replica up). */
    errors_5xx_by_haproxy: Math.max(0, frontend('errors_5xx') - sum('errors_5xx')),
  };
}

// ---- the installation ----------------------------------------------------------------------------

const REPLICA_NAMES = ['api', 'api-2', 'api-3'];

async function ensureReplicas(system, count) {
  for (const name of REPLICA_NAMES.slice(0, count)) {
    if (system.services.some((s) => s.name === name && s.child.exitCode === null)) continue;
    say(`starting API replica ${name}`);
    await system.startService('api', { INGOT_DB_POOL_SIZE: POOL.api }, name);
  }
  return REPLICA_NAMES.slice(0, count).map((name) => system.service(name));
}

/** Enrolls `count` fake-hardware nodes through the API, `concurrency` requests at a time. */
async function enroll(baseUrl, count, concurrency) {
  const uuids = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const response = await fetch(`${baseUrl}/v1/nodes`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-openstack-ironic-api-version': API_VERSION,
        },
        body: JSON.stringify({ driver: 'fake-hardware', name: `bench-${i}` }),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      if (response.status !== 201) throw new Error(`enroll bench-${i}: ${response.status} ${text}`);
      uuids[i] = JSON.parse(text).uuid;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return uuids;
}

/**
 * Drops what the API replicas logged so far (a line per request: hundreds of MiB in a full run)
 * but their warnings and errors.
 */
function dropApiOutput(replicas, problems) {
  for (const service of replicas) {
    const text = service.output.join('');
    service.output.length = 0;
    for (const line of text.split('\n'))
      if (/"level":"(warn|error|fatal)"/.test(line)) problems.push(`${service.name}: ${line}`);
  }
}

/** CPU seconds of the processes this one started and reaped (wrk, once it has exited). */
const reapedChildrenCpuS = () => processCpuS(process.pid, true) - processCpuS(process.pid, false);

const round = (x, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** One measured scenario: warm-up, then wrk with /proc snapshots around it. */
async function measure({ sampler, replicas, target, baseUrl, haproxy, scenario, problems }) {
  const label = `${target === 'direct' ? 'direct' : `r${replicas.length}`}-${scenario.name}`;
  if (WARMUP_S > 0)
    await runWrk(scenario, baseUrl, WARMUP_S, join(OUT, 'wrk', `${label}-warmup.json`));
  dropApiOutput(replicas, problems);
  const before = await sampler.snapshot();
  const statsBefore = haproxy ? await haproxyStats(haproxy.statsPort) : undefined;
  const childrenBefore = reapedChildrenCpuS();
  const wrk = await runWrk(scenario, baseUrl, DURATION_S, join(OUT, 'wrk', `${label}.json`));
  const wrkCpu = reapedChildrenCpuS() - childrenBefore;
  const balanced = haproxy
    ? haproxyBetween(statsBefore, await haproxyStats(haproxy.statsPort))
    : undefined;
  const after = await sampler.snapshot();
  dropApiOutput(replicas, problems);
  await writeFile(join(OUT, 'wrk', `${label}.txt`), wrk.output);

  const delta = (name) => (after.services[name] ?? 0) - (before.services[name] ?? 0);
  const api = replicas.reduce((sum, s) => sum + delta(s.name), 0);
  const haproxyCpu = delta('haproxy');
  const postgres = after.postgres - before.postgres;
  const machine = after.machineBusy - before.machineBusy;
  const seconds = wrk.duration_us / 1e6;
  const socketErrors = wrk.errors.connect + wrk.errors.read + wrk.errors.write + wrk.errors.timeout;
  const row = {
    target,
    replicas: replicas.length,
    scenario: scenario.name,
    requests: wrk.requests,
    seconds: round(seconds),
    req_per_s: round(wrk.requests / seconds, 1),
    latency_ms: Object.fromEntries(
      Object.entries(wrk.latency_us).map(([k, us]) => [k, round(us / 1000)]),
    ),
    non_2xx: wrk.errors.status,
    socket_errors: socketErrors,
    errors: wrk.errors,
    // Through haproxy: what each replica answered, and what haproxy answered itself.
    haproxy: balanced ?? null,
    cpu_s: {
      api: round(api),
      haproxy: round(haproxyCpu),
      postgres: round(postgres),
      wrk: round(wrkCpu),
      other: round(Math.max(0, machine - api - haproxyCpu - postgres - wrkCpu)),
      machine: round(machine),
      by_process: Object.fromEntries(
        Object.keys(after.services).map((name) => [name, round(delta(name))]),
      ),
      bench_process: round(
        (after.self.user + after.self.system - before.self.user - before.self.system) / 1e6,
      ),
    },
    api_cpu_ms_per_request: round((api * 1000) / wrk.requests, 3),
    load: { start: before.load, end: after.load },
  };
  say(
    `${label}: ${row.req_per_s} req/s, p50 ${row.latency_ms.p50} ms, p99 ${row.latency_ms.p99} ms, ` +
      `non-2xx ${row.non_2xx}, socket errors ${row.socket_errors}, api CPU ${row.cpu_s.api} s`,
  );
  return row;
}

// ---- the report ----------------------------------------------------------------------------------

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function report(run) {
  const rows = run.rows.map((r) => {
    const h = r.haproxy;
    const relayed = h ? h.servers.reduce((sum, s) => sum + s.responses, 0) : 0;
    const split = h
      ? relayed
        ? h.servers.map((s) => Math.round((100 * s.responses) / relayed)).join('/')
        : '-'
      : '100';
    return [
      r.target === 'direct' ? 'direct' : 'haproxy',
      r.replicas,
      r.scenario,
      r.req_per_s.toFixed(0),
      r.latency_ms.p50.toFixed(1),
      r.latency_ms.p99.toFixed(1),
      h?.errors_5xx_by_haproxy ? `${r.non_2xx} (haproxy ${h.errors_5xx_by_haproxy})` : r.non_2xx,
      r.socket_errors,
      h ? h.downs : '-',
      r.cpu_s.api.toFixed(1),
      r.cpu_s.haproxy.toFixed(1),
      r.cpu_s.postgres.toFixed(1),
      r.cpu_s.wrk.toFixed(1),
      r.cpu_s.other.toFixed(1),
      r.api_cpu_ms_per_request.toFixed(2),
      split,
    ];
  });
  const m = run.meta;
  return [
    `API replicas: ${m.nodes} nodes, wrk ${m.connections} connections × ${m.duration_s} s ` +
      `(${m.threads} threads, ${m.warmup_s} s warm-up), API pool ${m.api_pool}, ` +
      `${m.cpus} CPUs, load ${m.load_at_start.join(' ')} → ${m.load_at_end.join(' ')}, commit ${m.commit}`,
    '',
    table(
      [
        'to',
        'R',
        'scenario',
        'req/s',
        'p50 ms',
        'p99 ms',
        'non-2xx',
        'socket errors',
        'downs',
        'CPU s api',
        'haproxy',
        'PG',
        'wrk',
        'other',
        'api CPU ms/req',
        'split %',
      ],
      rows,
    ),
  ].join('\n');
}

// ---- main ----------------------------------------------------------------------------------------

await rm(join(OUT, 'wrk'), { recursive: true, force: true });
await mkdir(join(OUT, 'wrk'), { recursive: true });
for (const scenario of SCENARIOS)
  await writeFile(join(OUT, 'wrk', `${scenario.name}.lua`), scenario.lua);

say(`results in ${OUT}`);
const system = await Installation.create(TUNING, 'ingot_as');
let haproxy;
const stopAll = async () => {
  await haproxy?.stop().catch(() => undefined);
  await system.stop().catch((error) => console.error(`stopping: ${error}`));
};
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
process.once('SIGTERM', () => void stopAll().then(() => process.exit(143)));

const db = new pg.Client({ connectionString: system.databaseUrl });
const problems = [];
const run = {
  meta: {
    started_at: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: cpus().length,
    load_at_start: loadavg().map((x) => round(x)),
    nodes: NODES,
    connections: CONNECTIONS,
    threads: THREADS,
    duration_s: DURATION_S,
    warmup_s: WARMUP_S,
    api_pool: Number(API_POOL),
    db_pool: POOL,
    tuning: TUNING,
    scenarios: Object.fromEntries(SCENARIOS.map((s) => [s.name, s.what])),
    haproxy: versionOf(HAPROXY),
    wrk: versionOf(WRK),
  },
  rows: [],
};
let exitCode = 1;
try {
  // No image cache or inspector: fake-hardware and these requests never reach them.
  await system.startService('conductor', { INGOT_DB_POOL_SIZE: POOL.conductor });
  await system.startService('power', { INGOT_DB_POOL_SIZE: POOL.power });
  let replicas = await ensureReplicas(system, 1);
  await db.connect();
  const sampler = new CpuSampler(() => {
    const pids = new Map(system.services.map((s) => [s.name, s.child.pid]));
    if (haproxy) pids.set('haproxy', haproxy.pid);
    return pids;
  }, db);
  await sampler.start();

  say(`enrolling ${NODES} fake-hardware nodes, ${ENROLL_CONCURRENCY} at a time`);
  const enrollStart = Date.now();
  const uuids = await enroll(system.apiUrl, NODES, ENROLL_CONCURRENCY);
  run.meta.enroll_s = round((Date.now() - enrollStart) / 1000);
  await writeFile(join(OUT, 'wrk', 'uuids.txt'), uuids.join('\n') + '\n');
  dropApiOutput(replicas, problems);

  const scenarioRuns = async (target, baseUrl) => {
    for (const scenario of SCENARIOS)
      run.rows.push(
        await measure({ sampler, replicas, target, baseUrl, haproxy, scenario, problems }),
      );
  };
  if (!args['no-baseline']) {
    say('baseline: wrk straight to one API, no haproxy');
    await scenarioRuns('direct', system.apiUrl);
  }
  for (const count of REPLICAS) {
    replicas = await ensureReplicas(system, count);
    haproxy = await startHaproxy(system.apiUrls.slice(0, count));
    say(`${count} replica(s) behind haproxy ${haproxy.url}`);
    try {
      await scenarioRuns('haproxy', haproxy.url);
    } finally {
      await haproxy.stop();
      haproxy = undefined;
    }
  }
  sampler.stop();
  run.meta.finished_at = new Date().toISOString();
  run.meta.load_at_end = loadavg().map((x) => round(x));
  const failed = run.rows.filter((r) => r.non_2xx > 0 || r.socket_errors > 0);
  exitCode = failed.length === 0 ? 0 : 1;
  if (failed.length > 0)
    say(`${failed.length} row(s) with non-2xx answers or socket errors: see ${OUT}`);
  await writeFile(join(OUT, 'results.json'), JSON.stringify(run, null, 2));
  const text = report(run);
  await writeFile(join(OUT, 'report.md'), text + '\n');
  console.log(text);
} finally {
  if (problems.length > 0) await writeFile(join(OUT, 'api-problems.log'), problems.join('\n'));
  await db.end().catch(() => undefined);
  await stopAll();
}
process.exit(exitCode);
