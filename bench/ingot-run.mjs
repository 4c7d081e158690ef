// Starts an Ingot installation tuned for the benchmark (own scratch database and bus prefix, noauth,
// the API on a free loopback port, automated cleaning off as in the anchor's Ironic), runs the
// anchor's Ironic-API workload against it with /proc sampling of Ingot's service processes and
// PostgreSQL, then stops everything it started.
//   usage: node bench/ingot-run.mjs OUT.json [workload options...]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { URL, fileURLToPath } from 'node:url';
import { Installation } from '@ingot/lab';
import { postmasterPid } from './proc.mjs';

const WORKLOAD = fileURLToPath(
  new URL('../../shared/anchors/ironic/ironic-api-lifecycle.mjs', import.meta.url),
);
const TUNING = {
  INGOT_AUTOMATED_CLEAN: 'disabled',
  INGOT_AUTH_STRATEGY: 'noauth',
  // The services' own pool sizes, as deployed (the lab's test default is smaller).
  INGOT_DB_POOL_SIZE: '',
};
// bench/run.sh --profile: each service writes a V8 CPU profile when it stops (open the
// .cpuprofile files in Chrome DevTools or speedscope for flame graphs; bench/profile-top.mjs
// sums them up).
const profileDir = process.env.BENCH_CPU_PROF_DIR;
// BENCH_NODE_ARGS: extra node/V8 options for every service (e.g. to try a heap setting).
const nodeArgs = [
  ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
  ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
];

const [out, ...workloadArgs] = process.argv.slice(2);
if (!out) {
  console.error('usage: node bench/ingot-run.mjs OUT.json [workload options...]');
  process.exit(2);
}
process.env.LOG_LEVEL ??= 'info';

/**
 * A failed request says "see the API service log": keep each service's warn/error lines beside the
 * results (the full logs of a 1000-node run are hundreds of MiB).
 */
function keepProblemLines(system, dir) {
  for (const service of system.services) {
    const lines = service.output
      .join('')
      .split('\n')
      .filter((line) => /"level":"(warn|error|fatal)"/.test(line));
    if (lines.length > 0)
      writeFileSync(join(dir, `${service.name}-problems.log`), lines.join('\n') + '\n');
  }
}

function run(command, args) {
  const child = spawn(command, args, { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

const system = await Installation.start(TUNING, { nodeArgs });
let code = 1;
try {
  const pids = system.services.map((s) => s.child.pid).join(',');
  const pg = postmasterPid();
  console.error(`[bench] Ingot API ${system.apiUrl}; service pids ${pids}`);
  if (process.env.BENCH_CPU_PROF_DIR) {
    // Profiles are named by process id: say which service each one is.
    mkdirSync(process.env.BENCH_CPU_PROF_DIR, { recursive: true });
    const names = Object.fromEntries(system.services.map((s) => [s.child.pid, s.name]));
    writeFileSync(`${process.env.BENCH_CPU_PROF_DIR}/services.json`, JSON.stringify(names));
  }
  code = await run(process.execPath, [
    WORKLOAD,
    '--url',
    system.apiUrl,
    '--label',
    'ingot',
    '--proc',
    `ingot=${pids}`,
    ...(process.env.BENCH_PER_SERVICE
      ? system.services.flatMap((s) => ['--proc', `${s.name}=${s.child.pid}`])
      : []),
    ...(pg ? ['--proc', `postgres=${pg}`] : []),
    '--out',
    out,
    ...workloadArgs,
  ]);
} finally {
  await system.stop();
  keepProblemLines(system, dirname(out));
  // Logging is work the services do per request and per message: say how much of it there was.
  const sizes = system.services.map((s) => {
    const text = s.output.join('');
    const lines = text.split('\n').length - 1;
    return `${s.name} ${lines} lines ${(text.length / 1048576).toFixed(1)} MiB`;
  });
  console.log(`log output: ${sizes.join(', ')}`);
}
process.exit(code);
