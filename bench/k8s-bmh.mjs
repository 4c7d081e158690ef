// Metal3 BareMetalHosts at scale through the Kubernetes adapter, with the lab: N Secrets + N
// BareMetalHosts applied to a real kube-apiserver, each host taken to `available` (registered and
// inspected by the real agent), then given an image and user data and taken to `provisioned`
// (cleaned, image and config drive written by the real agent, booted from disk), then left alone.
// Per phase it prints the wall time, p50/p99 of the per-host times, the CPU seconds of the adapter
// (and of every other process it started), and the API server requests per host by user: the
// adapter runs with a token of its own, so the API server's audit log tells its requests from the
// benchmark's. The API server's /metrics (apiserver_request_total) is scraped around each phase as
// a cross-check of the write totals.
//   usage: node bench/k8s-bmh.mjs [--hosts 100] [--idle-s 30] [--out result.json]
//   needs: a build (npx tsc -b), KUBEBUILDER_ASSETS, NATS and PostgreSQL on 127.0.0.1 (bench/k8s-bmh.sh)
import { Buffer } from 'node:buffer';
import { readFileSync, readdirSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { loadavg } from 'node:os';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, Watch } from '@kubernetes/client-node';
import pg from 'pg';
import {
  ImageOrigin,
  Installation,
  makeTestImage,
  scratchDir,
  ServerHost,
  startFleet,
  waitFor,
} from '@ingot/lab';
import { installCrds, startKubeApiServer } from '@ingot/lab/kube-apiserver';
import { customResourceDefinitions } from '@ingot/metal3';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '100' },
    // Requests the benchmark has in flight while it applies or updates hosts (kubectl apply -f of
    // a folder is sequential; a GitOps tool applies in parallel).
    'apply-concurrency': { type: 'string', default: '8' },
    'idle-s': { type: 'string', default: '30' },
    'phase-timeout-s': { type: 'string', default: '1800' },
    // Time a lab server takes to change its power state (the demo's 200 ms).
    'power-delay-ms': { type: 'string', default: '200' },
    // The API's INGOT_AGENT_HEARTBEAT_TIMEOUT_S (agents heartbeat every 30-60 % of it); Ingot's
    // default (300 s, as Ironic's) unless given. The demo and the e2e tests use 10.
    'heartbeat-timeout-s': { type: 'string' },
    // The adapter's INGOT_K8S_RESYNC_MS; the adapter's default (10 min) unless given.
    'resync-ms': { type: 'string' },
    out: { type: 'string' },
    // Files to keep the services' logs and the API server's audit log in (both removed otherwise).
    'keep-logs': { type: 'string' },
    'keep-audit': { type: 'string' },
    // Prints every change of this host's status as the watch sees it (which fields changed).
    'trace-host': { type: 'string' },
  },
});
const N = Number(args.hosts);
const APPLY_CONCURRENCY = Number(args['apply-concurrency']);
const IDLE_MS = Number(args['idle-s']) * 1000;
const PHASE_TIMEOUT_MS = Number(args['phase-timeout-s']) * 1000;
const POWER_DELAY_MS = Number(args['power-delay-ms']);
for (const [name, value, min, max] of [
  ['--hosts', N, 1, 1000],
  ['--apply-concurrency', APPLY_CONCURRENCY, 1, 256],
  ['--idle-s', IDLE_MS / 1000, 0, 3600],
  ['--phase-timeout-s', PHASE_TIMEOUT_MS / 1000, 10, 86400],
  ['--power-delay-ms', POWER_DELAY_MS, 0, 600_000],
]) {
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`${name} must be an integer between ${min} and ${max}`);
    process.exit(2);
  }
}

const NS = 'metal3';
const ADAPTER_USER = 'ingot-k8s-adapter';
const BMH = { group: 'metal3.io', version: 'v1alpha1', plural: 'baremetalhosts', namespace: NS };
const HOSTS_PATH = `/apis/metal3.io/v1alpha1/namespaces/${NS}/baremetalhosts`;
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64

const started = Date.now();
const say = (line) =>
  console.error(`[bench +${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const hostName = (i) => `host-${String(i).padStart(3, '0')}`;

// ---------------------------------------------------------------------------------------------
// CPU from /proc

/** utime + stime of a process in seconds, and (for this process) its reaped children's. */
function procCpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
    const own = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const children = (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
    return { own, children };
  } catch {
    return { own: 0, children: 0 };
  }
}

/** Pids of every process whose parent is `ppid`. */
function childrenOf(ppid) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppidField = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
      if (Number(ppidField) === ppid) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

/** The whole machine's busy and total CPU seconds (all cores), from /proc/stat. */
function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / CLK_TCK, total: (busy + idle + iowait) / CLK_TCK };
}

function postgresPid() {
  try {
    const dir = '/var/run/postgresql';
    const file = readdirSync(dir).find((f) => /-main\.pid$/.test(f));
    return file ? Number(readFileSync(`${dir}/${file}`, 'utf8').split('\n')[0].trim()) : undefined;
  } catch {
    return undefined;
  }
}

function peakRssMiB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The API server's /metrics and audit log

function apiGet(kube, path) {
  return new Promise((resolve, reject) => {
    const req = request(
      `${kube.url}${path}`,
      { ca: kube.ca, headers: { authorization: `Bearer ${kube.token}` } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks).toString('utf8'))
            : reject(new Error(`GET ${path}: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** apiserver_request_total of write verbs, by "VERB resource[/subresource]". */
async function apiserverWrites(kube) {
  const text = await apiGet(kube, '/metrics');
  const counts = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (!['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY'].includes(labels.verb)) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

function diffCounts(after, before) {
  const out = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

const sum = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);

/** One entry per request: the audit log's ResponseComplete (or a watch's ResponseStarted) event. */
function auditRequests(path) {
  const seen = new Map();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line);
    if (seen.has(e.auditID)) continue;
    seen.set(e.auditID, {
      at: Date.parse(e.requestReceivedTimestamp),
      user: e.user?.username ?? '?',
      verb: e.verb,
      resource: e.objectRef
        ? `${e.objectRef.resource ?? ''}${e.objectRef.subresource ? `/${e.objectRef.subresource}` : ''}`
        : e.requestURI,
      code: e.responseStatus?.code,
    });
  }
  return [...seen.values()];
}

/** Requests within [from, to) by user → { writes: {"verb resource": n}, reads: {...}, conflicts } */
function requestsByUser(requests, from, to) {
  const users = {};
  for (const r of requests) {
    if (r.at < from || r.at >= to) continue;
    const u = (users[r.user] ??= { writes: {}, reads: {}, failedWrites: {} });
    const kind = WRITE_VERBS.has(r.verb) ? 'writes' : 'reads';
    const key = `${r.verb} ${r.resource}`;
    u[kind][key] = (u[kind][key] ?? 0) + 1;
    if (kind === 'writes' && r.code >= 400) {
      const failed = `${key} ${r.code}`;
      u.failedWrites[failed] = (u.failedWrites[failed] ?? 0) + 1;
    }
  }
  return users;
}

// ---------------------------------------------------------------------------------------------
// The hosts as the benchmark sees them (a watch of BareMetalHosts)

class HostTracker {
  /** name → the host's last status summary */
  status = new Map();
  /** `${name} ${state}` → when the host was first seen in that state (ms) */
  firstSeen = new Map();
  errors = new Map();
  stopped = false;

  constructor(kubeConfig, custom) {
    this.watch = new Watch(kubeConfig);
    this.custom = custom;
  }

  seen(host) {
    const name = host.metadata?.name;
    const s = host.status;
    if (name && name === args['trace-host']) this.trace(host);
    if (!name || !s?.provisioning) return;
    const state = s.provisioning.state;
    const summary = { state, ok: s.operationalStatus === 'OK', poweredOn: s.poweredOn === true };
    this.status.set(name, summary);
    const keys = summary.ok
      ? [`${name} ${state}`, ...(summary.poweredOn ? [`${name} ${state} on`] : [])]
      : [`${name} ${state} error`];
    for (const key of keys) if (!this.firstSeen.has(key)) this.firstSeen.set(key, Date.now());
    if (s.operationalStatus === 'error')
      this.errors.set(name, `${state}: ${s.errorType}: ${s.errorMessage}`);
  }

  trace(host) {
    const before = this.traced ?? {};
    const after = { ...host.status, metadata: host.metadata };
    const changed = Object.keys({ ...before, ...after }).filter(
      (k) => k !== 'lastUpdated' && JSON.stringify(before[k]) !== JSON.stringify(after[k]),
    );
    const show = (k) =>
      k === 'metadata'
        ? `metadata(rv ${host.metadata.resourceVersion}, finalizers ${host.metadata.finalizers ?? []})`
        : ['provisioning', 'poweredOn', 'operationalStatus', 'errorMessage'].includes(k)
          ? `${k}=${JSON.stringify(after[k])}`
          : k;
    say(`trace ${host.metadata.name}: ${changed.map(show).join(', ')}`);
    this.traced = after;
  }

  /** When the host was first seen in the state (OK, and powered on if asked). */
  reached(name, state, poweredOn = false) {
    return this.firstSeen.get(`${name} ${state}${poweredOn ? ' on' : ''}`);
  }

  count(predicate) {
    let n = 0;
    for (const s of this.status.values()) if (predicate(s)) n++;
    return n;
  }

  async start() {
    const list = await this.custom.listNamespacedCustomObject({ ...BMH });
    for (const host of list.items) this.seen(host);
    const resourceVersion = list.metadata.resourceVersion;
    this.controller = await this.watch.watch(
      HOSTS_PATH,
      { resourceVersion, allowWatchBookmarks: true },
      (type, host) => {
        if (type !== 'BOOKMARK' && type !== 'ERROR') this.seen(host);
      },
      () => {
        if (!this.stopped) setTimeout(() => void this.start().catch(() => undefined), 500);
      },
    );
  }

  stop() {
    this.stopped = true;
    this.controller?.abort();
  }
}

// ---------------------------------------------------------------------------------------------

/** Runs `fn` on every item, `limit` at a time. */
async function eachLimited(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

function bmcAddress(server) {
  const url = new URL(server.url);
  return `redfish-virtualmedia+${url.protocol.replace(':', '')}://${url.host}${server.systemPath}`;
}

async function retryConflicts(fn) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (error?.code !== 409 || attempt >= 20) throw error;
    }
  }
}

// ---------------------------------------------------------------------------------------------

const cleanups = [];
// Interrupted: stop and remove everything started so far (services, API server, database).
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    say(`${signal}: stopping everything`);
    void (async () => {
      for (const cleanup of cleanups.reverse())
        await Promise.resolve(cleanup()).catch(() => undefined);
      process.exit(130);
    })();
  });
const result = {
  when: new Date().toISOString(),
  hosts: N,
  options: args,
  machine: { loadavgAtStart: loadavg() },
  phases: {},
};
let exitCode = 1;
let system;
try {
  say(`starting etcd + kube-apiserver (audit log on; users admin and ${ADAPTER_USER})`);
  const kube = await startKubeApiServer({ users: [ADAPTER_USER], auditLog: true });
  cleanups.push(() => kube.stop());
  await installCrds(kube, customResourceDefinitions());
  const kubeConfig = kube.kubeConfig();
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });

  const scratch = await scratchDir();
  cleanups.push(() => scratch.remove());
  const image = await makeTestImage(scratch.path);
  const origin = await ImageOrigin.start({ '/images/test.qcow2': image.qcow2Path });
  cleanups.push(() => origin.close());

  say(`starting a lab of ${N} simulated servers (Redfish BMCs on 127.0.0.1)`);
  const fleet = await startFleet({ count: N, powerDelayMs: POWER_DELAY_MS });
  cleanups.push(() => fleet.stop());

  say('starting Ingot (api, conductor, power, imagecache, inspector) and the k8s-adapter');
  const ingotEnv = {
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ...(args['heartbeat-timeout-s']
      ? { INGOT_AGENT_HEARTBEAT_TIMEOUT_S: args['heartbeat-timeout-s'] }
      : {}),
    // The services' own pool sizes, as deployed (the lab's test default is smaller).
    INGOT_DB_POOL_SIZE: '',
  };
  // A service that does not answer within 30 s on a machine others load too: once more.
  system = await Installation.start(ingotEnv).catch((error) => {
    say(`Ingot did not start (${String(error).slice(0, 200)}); trying again`);
    return Installation.start(ingotEnv);
  });
  cleanups.push(() => system.stop());
  const hosts = await Promise.all(
    fleet.servers.map((server) => ServerHost.create(server, { workDir: system.workDir })),
  );
  cleanups.push(() => Promise.all(hosts.map((h) => h.stop())));
  let agentBoots = 0;
  const hostErrors = [];
  for (const host of hosts) {
    host.on('agent-started', () => agentBoots++);
    // 80/81: the agent powered the server off or rebooted it; a signal: the lab powered it off.
    host.on('agent-exited', ({ code, signal, output }) => {
      if (signal !== null || code === 80 || code === 81) return;
      const tail = output.trim().split('\n').slice(-4).join(' | ');
      const line = `${host.server.name}: ${code === null ? 'lab host error' : `agent exited with ${code}`}: ${tail}`;
      hostErrors.push(line);
      say(line.slice(0, 2000));
    });
  }
  const adapter = await system.startService('k8s-adapter', {
    KUBECONFIG: kube.users[ADAPTER_USER].kubeconfigPath,
    WATCH_NAMESPACE: NS,
    POD_NAME: 'bench-adapter',
    INGOT_K8S_LOOPBACK_BMC_ONLY: 'true',
    ...(args['resync-ms'] ? { INGOT_K8S_RESYNC_MS: args['resync-ms'] } : {}),
  });
  const adapterMetrics = async () =>
    (await globalThis.fetch(`http://127.0.0.1:${adapter.opsPort}/metrics`)).text();
  await waitFor(
    'the adapter to lead',
    async () => /^ingot_k8s_leader 1$/m.test(await adapterMetrics()),
    60_000,
    200,
  );
  const reconciles = async () => {
    const text = await adapterMetrics();
    const m = /^ingot_k8s_reconciles_total\{result="ok"\} (\d+)/m.exec(text);
    const e = /^ingot_k8s_reconciles_total\{result="error"\} (\d+)/m.exec(text);
    return { ok: Number(m?.[1] ?? 0), error: Number(e?.[1] ?? 0) };
  };

  const apiserverPid = childrenOf(kube.processGroups.apiserver).find((pid) =>
    readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kube-apiserver'),
  );
  const etcdPid = childrenOf(kube.processGroups.etcd).find((pid) =>
    readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('etcd'),
  );
  const pgPid = postgresPid();
  const processes = () => ({
    'k8s-adapter': [adapter.child.pid],
    ...Object.fromEntries(
      system.services.filter((s) => s.kind !== 'k8s-adapter').map((s) => [s.name, [s.child.pid]]),
    ),
    'kube-apiserver': apiserverPid ? [apiserverPid] : [],
    etcd: etcdPid ? [etcdPid] : [],
    // Shared with everything else on this machine; backends that exit in a phase are missed.
    'postgresql (all)': pgPid ? [pgPid, ...childrenOf(pgPid)] : [],
  });
  // Per pid, so that a process that exits in a phase (a PostgreSQL backend) subtracts nothing.
  const cpuSnapshot = () => {
    const out = {};
    for (const [name, pids] of Object.entries(processes()))
      out[name] = new Map(pids.map((pid) => [pid, procCpu(pid).own]));
    const self = procCpu(process.pid);
    out['lab + bench (this process)'] = self.own;
    // The agents are this process's children: their CPU counts once they exited (power off).
    out['agents (exited)'] = self.children;
    out.machine = machineCpu();
    return out;
  };

  const tracker = new HostTracker(kubeConfig, custom);
  await tracker.start();
  cleanups.push(() => tracker.stop());

  /** Measures a phase: wall, CPU, /metrics writes, reconciles; the audit log is read at the end. */
  async function phase(name, body) {
    const cpu0 = cpuSnapshot();
    const writes0 = await apiserverWrites(kube);
    const rec0 = await reconciles();
    const boots0 = agentBoots;
    const load0 = loadavg();
    const t0 = Date.now();
    const extra = await body();
    const t1 = Date.now();
    const cpu1 = cpuSnapshot();
    const writes1 = await apiserverWrites(kube);
    const rec1 = await reconciles();
    const cpu = {};
    for (const [k, v] of Object.entries(cpu1)) {
      if (k === 'machine') continue;
      if (!(v instanceof Map)) cpu[k] = v - cpu0[k];
      else cpu[k] = [...v].reduce((a, [pid, s]) => a + s - (cpu0[k].get(pid) ?? 0), 0);
    }
    const machine = {
      busyS: cpu1.machine.busy - cpu0.machine.busy,
      cores: (cpu1.machine.total - cpu0.machine.total) / ((t1 - t0) / 1000),
    };
    result.phases[name] = {
      from: t0,
      to: t1,
      wallS: (t1 - t0) / 1000,
      cpuS: cpu,
      machine,
      loadavg: { start: load0, end: loadavg() },
      apiserverWritesAllUsers: diffCounts(writes1, writes0),
      reconciles: { ok: rec1.ok - rec0.ok, error: rec1.error - rec0.error },
      agentBoots: agentBoots - boots0,
      ...extra,
    };
    say(
      `${name}: ${fmt((t1 - t0) / 1000)} s; adapter CPU ${fmt(cpu['k8s-adapter'], 2)} s; ` +
        `reconciles ${rec1.ok - rec0.ok} (+${rec1.error - rec0.error} failed); agent boots ${agentBoots - boots0}`,
    );
  }

  /** Waits until every host satisfies `done`; says how far it got every 10 s. */
  async function untilAll(what, done, since) {
    let lastSay = Date.now();
    for (;;) {
      const n = tracker.count(done);
      if (n === N) return;
      if (Date.now() - since > PHASE_TIMEOUT_MS) {
        const states = {};
        for (const s of tracker.status.values()) {
          const k = `${s.state}${s.ok ? '' : ' (error)'}`;
          states[k] = (states[k] ?? 0) + 1;
        }
        throw new Error(
          `${N - n} of ${N} hosts not ${what} after ${PHASE_TIMEOUT_MS / 1000} s: ${JSON.stringify(states)}; ` +
            `errors: ${[...tracker.errors.values()].slice(0, 5).join(' | ')}`,
        );
      }
      if (Date.now() - lastSay > 10_000) {
        lastSay = Date.now();
        say(`  ${n}/${N} ${what}; load ${loadavg()[0].toFixed(1)}`);
      }
      await sleep(100);
    }
  }

  const perHost = (since, reachedAt) => {
    const times = [];
    for (let i = 0; i < N; i++) {
      const at = reachedAt(hostName(i));
      if (at !== undefined && since.has(hostName(i)))
        times.push((at - since.get(hostName(i))) / 1000);
    }
    times.sort((a, b) => a - b);
    return {
      p50S: quantile(times, 0.5),
      p99S: quantile(times, 0.99),
      minS: times[0],
      maxS: times[times.length - 1],
    };
  };

  // Phase 1: apply N Secrets + N BareMetalHosts → all available.
  const createdAt = new Map();
  await phase('available', async () => {
    const t0 = Date.now();
    await eachLimited(fleet.servers, APPLY_CONCURRENCY, async (server) => {
      const name = hostName(server.index);
      await core.createNamespacedSecret({
        namespace: NS,
        body: {
          metadata: { name: `${name}-bmc` },
          stringData: { username: server.username, password: server.password },
        },
      });
      await custom.createNamespacedCustomObject({
        ...BMH,
        body: {
          apiVersion: 'metal3.io/v1alpha1',
          kind: 'BareMetalHost',
          metadata: { name, namespace: NS },
          spec: {
            online: false,
            bootMACAddress: server.macs[0],
            bmc: {
              address: bmcAddress(server),
              credentialsName: `${name}-bmc`,
              disableCertificateVerification: true,
            },
          },
        },
      });
      createdAt.set(name, Date.now());
    });
    const applyS = (Date.now() - t0) / 1000;
    say(`applied ${N} Secrets + ${N} BareMetalHosts in ${fmt(applyS, 2)} s`);
    await untilAll('available', (s) => s.state === 'available' && s.ok, t0);
    return {
      applyS,
      perHost: perHost(createdAt, (name) => tracker.reached(name, 'available')),
    };
  });

  // Phase 2: image + userData + online → all provisioned (and powered on).
  const updatedAt = new Map();
  await phase('provisioned', async () => {
    const t0 = Date.now();
    await eachLimited(fleet.servers, APPLY_CONCURRENCY, async (server) => {
      const name = hostName(server.index);
      await core.createNamespacedSecret({
        namespace: NS,
        body: {
          metadata: { name: `${name}-user-data` },
          stringData: { userData: `#cloud-config\nhostname: ${server.name}\n` },
        },
      });
      await retryConflicts(async () => {
        const host = await custom.getNamespacedCustomObject({ ...BMH, name });
        host.spec.image = {
          url: `${origin.url}/images/test.qcow2`,
          checksum: image.qcow2Sha256,
          checksumType: 'sha256',
          format: 'qcow2',
        };
        host.spec.userData = { name: `${name}-user-data` };
        host.spec.online = true;
        await custom.replaceNamespacedCustomObject({ ...BMH, name, body: host });
      });
      updatedAt.set(name, Date.now());
    });
    const applyS = (Date.now() - t0) / 1000;
    say(`set image + userData + online on ${N} hosts in ${fmt(applyS, 2)} s`);
    await untilAll(
      'provisioned and on',
      (s) => s.state === 'provisioned' && s.ok && s.poweredOn,
      t0,
    );
    return {
      applyS,
      perHost: perHost(updatedAt, (name) => tracker.reached(name, 'provisioned')),
      perHostPoweredOn: perHost(updatedAt, (name) => tracker.reached(name, 'provisioned', true)),
      imageOriginHits: Object.fromEntries(origin.hits),
    };
  });

  // Phase 3: nothing asked; nothing should be written but the adapter's leader Lease.
  if (IDLE_MS > 0) await phase('idle', () => sleep(IDLE_MS).then(() => ({})));

  // Where a host's time goes: its node's history (PostgreSQL) and its status (the watch), as
  // times since the benchmark created or updated the host, median and p99 over the hosts.
  const client = new pg.Client({ connectionString: system.databaseUrl });
  await client.connect();
  const { rows } = await client.query(
    `select n.name, h.created_at, h.event_type, h.event, h.from_state, h.to_state
       from node_history h join nodes n on n.uuid = h.node_uuid order by h.id`,
  );
  const { rows: nodeRows } = await client.query('select name, created_at from nodes');
  await client.end();
  const milestones = (phaseName, since, bmhStates) => {
    const p = result.phases[phaseName];
    const byLabel = new Map();
    const add = (label, host, at) => {
      const t0 = since.get(host);
      if (t0 === undefined || at < p.from || at > p.to) return;
      const perHost = byLabel.get(label) ?? new Map();
      if (!perHost.has(host)) perHost.set(host, (at - t0) / 1000);
      byLabel.set(label, perHost);
    };
    const hostOf = (nodeName) => nodeName?.split('~')[1];
    for (const r of nodeRows) add('node created', hostOf(r.name), r.created_at.getTime());
    for (const r of rows) {
      const label = r.to_state
        ? `${r.event_type}: ${r.from_state} → ${r.to_state}`
        : `${r.event_type}: ${r.event}`;
      add(label, hostOf(r.name), r.created_at.getTime());
    }
    for (const [name] of since)
      for (const state of bmhStates) {
        const at = tracker.reached(name, state);
        if (at !== undefined) add(`BareMetalHost ${state}`, name, at);
      }
    return [...byLabel]
      .map(([label, perHost]) => {
        const times = [...perHost.values()].sort((a, b) => a - b);
        return {
          label,
          hosts: times.length,
          p50S: quantile(times, 0.5),
          p99S: quantile(times, 0.99),
        };
      })
      .sort((a, b) => a.p50S - b.p50S);
  };
  result.phases.available.timeline = milestones('available', createdAt, [
    'registering',
    'inspecting',
    'available',
  ]);
  result.phases.provisioned.timeline = milestones('provisioned', updatedAt, [
    'provisioning',
    'provisioned',
  ]);

  // The slowest host of each phase, line by line: what it waited for.
  const slowest = (phaseName, since, reachedAt) => {
    let worst;
    for (const [name, t0] of since) {
      const at = reachedAt(name);
      if (at !== undefined && (!worst || at - t0 > worst.s * 1000))
        worst = { name, s: (at - t0) / 1000, t0 };
    }
    if (!worst) return undefined;
    const p = result.phases[phaseName];
    const lines = rows
      .filter((r) => r.name?.split('~')[1] === worst.name)
      .filter((r) => r.created_at.getTime() >= p.from && r.created_at.getTime() <= p.to)
      .map((r) => ({
        s: (r.created_at.getTime() - worst.t0) / 1000,
        event: r.to_state
          ? `${r.event_type}: ${r.from_state} → ${r.to_state}`
          : `${r.event_type}: ${r.event}`,
      }));
    return { host: worst.name, s: worst.s, history: lines };
  };
  result.phases.available.slowest = slowest('available', createdAt, (name) =>
    tracker.reached(name, 'available'),
  );
  result.phases.provisioned.slowest = slowest('provisioned', updatedAt, (name) =>
    tracker.reached(name, 'provisioned', true),
  );

  // Requests by user per phase, from the audit log.
  if (args['keep-audit']) await copyFile(kube.auditLogPath, args['keep-audit']);
  const requests = auditRequests(kube.auditLogPath);
  for (const p of Object.values(result.phases)) p.requests = requestsByUser(requests, p.from, p.to);
  result.adapterPeakRssMiB = peakRssMiB(adapter.child.pid);
  result.hostErrors = hostErrors.slice(0, 20);
  result.machine.loadavgAtEnd = loadavg();
  result.machine.nproc = (await import('node:os')).cpus().length;
  result.machine.memGiB = (await import('node:os')).totalmem() / 1024 ** 3;
  exitCode = 0;
} catch (error) {
  say(`FAILED: ${error instanceof Error ? error.stack : String(error)}`);
  result.error = String(error);
} finally {
  if (args['keep-logs'] && system)
    await writeFile(args['keep-logs'], system.logs()).catch(() => undefined);
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
}

if (args.out) await writeFile(args.out, `${JSON.stringify(result, null, 2)}\n`);
report(result);
process.exit(exitCode);

// ---------------------------------------------------------------------------------------------

function report(r) {
  const lines = [];
  const out = (s = '') => lines.push(s);
  out(`# ${r.hosts} BareMetalHosts (${r.when})`);
  out();
  out(
    '| phase | wall s | p50 / p99 per host s | adapter CPU s | adapter CPU ms/host | reconciles/host | agent boots |',
  );
  out('|---|---|---|---|---|---|---|');
  for (const [name, p] of Object.entries(r.phases)) {
    const h = p.perHost;
    out(
      `| ${name}${p.applyS !== undefined ? ` (apply ${fmt(p.applyS, 2)} s)` : ''} | ${fmt(p.wallS)} | ` +
        `${h ? `${fmt(h.p50S)} / ${fmt(h.p99S)}` : '-'} | ${fmt(p.cpuS['k8s-adapter'], 2)} | ` +
        `${fmt((p.cpuS['k8s-adapter'] * 1000) / r.hosts)} | ${fmt(p.reconciles.ok / r.hosts)}` +
        `${p.reconciles.error ? ` (+${p.reconciles.error} failed)` : ''} | ${p.agentBoots} |`,
    );
  }
  out();
  for (const [name, p] of Object.entries(r.phases)) {
    if (!p.timeline) continue;
    out(`Phase ${name}: where a host's time goes (s since its apply; median host, p99):`);
    out();
    out('| s p50 | s p99 | hosts | milestone |');
    out('|---|---|---|---|');
    for (const m of p.timeline)
      out(`| ${fmt(m.p50S, 2)} | ${fmt(m.p99S, 2)} | ${m.hosts} | ${m.label} |`);
    out();
  }
  for (const [name, p] of Object.entries(r.phases)) {
    if (!p.slowest) continue;
    out(
      `Phase ${name}: its slowest host, ${p.slowest.host} (${fmt(p.slowest.s)} s), line by line:`,
    );
    out();
    out('| s | event |');
    out('|---|---|');
    for (const h of p.slowest.history) out(`| ${fmt(h.s, 2)} | ${h.event} |`);
    out();
  }
  out('API server requests (audit log), per host:');
  out();
  out(
    '| phase | user | writes/host | without Leases | writes by kind (total) | failed writes | reads/host |',
  );
  out('|---|---|---|---|---|---|---|');
  const withoutLeases = (counts) =>
    sum(Object.fromEntries(Object.entries(counts).filter(([k]) => !/ leases$/.test(k))));
  for (const [name, p] of Object.entries(r.phases)) {
    for (const [user, u] of Object.entries(p.requests ?? {})) {
      const kinds = Object.entries(u.writes)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const failed = Object.entries(u.failedWrites)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
      out(
        `| ${name} | ${user} | ${fmt(sum(u.writes) / r.hosts, 2)} | ${fmt(withoutLeases(u.writes) / r.hosts, 2)} | ${kinds || '-'} | ${failed || '-'} | ${fmt(sum(u.reads) / r.hosts, 2)} |`,
      );
    }
    out(
      `| ${name} | all users (/metrics) | ${fmt(sum(p.apiserverWritesAllUsers) / r.hosts, 2)} | ${fmt(withoutLeases(p.apiserverWritesAllUsers) / r.hosts, 2)} | ${Object.entries(
        p.apiserverWritesAllUsers,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')} | | |`,
    );
  }
  out();
  out('CPU seconds per phase (machine: busy core-seconds and cores seen):');
  out();
  const names = Object.keys(Object.values(r.phases)[0]?.cpuS ?? {});
  out(`| process | ${Object.keys(r.phases).join(' | ')} |`);
  out(
    `|---|${Object.keys(r.phases)
      .map(() => '---')
      .join('|')}|`,
  );
  for (const n of names)
    out(
      `| ${n} | ${Object.values(r.phases)
        .map((p) => fmt(p.cpuS[n], 2))
        .join(' | ')} |`,
    );
  const ours = (p) => Object.values(p.cpuS).reduce((x, y) => x + y, 0);
  out(
    `| **all of the above** | ${Object.values(r.phases)
      .map((p) => fmt(ours(p), 1))
      .join(' | ')} |`,
  );
  // What else ran on the machine meanwhile (other people's work; NATS; the kernel).
  out(
    `| other processes (machine − above) | ${Object.values(r.phases)
      .map((p) => fmt(p.machine.busyS - ours(p), 1))
      .join(' | ')} |`,
  );
  out(
    `| machine busy | ${Object.values(r.phases)
      .map(
        (p) =>
          `${fmt(p.machine.busyS, 1)} (${fmt(p.machine.busyS / p.wallS, 2)} of ${fmt(p.machine.cores, 0)} cores)`,
      )
      .join(' | ')} |`,
  );
  out();
  out(
    `load average at start ${r.machine.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}, ` +
      `at end ${(r.machine.loadavgAtEnd ?? []).map((x) => x.toFixed(2)).join(' ')}; adapter peak RSS ` +
      `${fmt(r.adapterPeakRssMiB)} MiB`,
  );
  if (r.hostErrors?.length) out(`lab host errors: ${r.hostErrors.join(' | ')}`);
  if (r.error) out(`FAILED: ${r.error}`);
  console.log(lines.join('\n'));
}
