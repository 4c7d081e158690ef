// Sums up the V8 CPU profiles of a `bench/run.sh --profile` run: per service, the CPU time
// sampled, where it went by package (self time), and the functions that cost most, by self time
// and by total time (self + what they called; each function counted once per sample).
//   usage: node bench/profile-top.mjs PROFILE_DIR [--top 20]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...rest] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node bench/profile-top.mjs PROFILE_DIR [--top 20]');
  process.exit(2);
}
const top = rest[0] === '--top' ? Number(rest[1]) : 20;
let services = {};
try {
  services = JSON.parse(readFileSync(join(dir, 'services.json'), 'utf8'));
} catch {
  // profiles of processes the run did not name are shown by process id
}

/** Where a frame's code lives: a package, a project folder, Node's own code, or V8's pseudo-frames. */
function packageOf(url) {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node: core';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 14).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const project = url.match(/\/((?:services|libs|agent|lab)\/[^/]+)\//);
  return project ? project[1] : url;
}

function frameName(frame) {
  const where = frame.url
    ? `${packageOf(frame.url)}/${frame.url.split('/').pop()}:${frame.lineNumber + 1}`
    : '';
  return `${frame.functionName || '(anonymous)'} ${where}`.trim();
}

function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const total = new Map();
  const packages = new Map();
  let busy = 0;
  let idle = 0;
  const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id).callFrame;
    if (frame.functionName === '(idle)') {
      idle += us;
      return;
    }
    busy += us;
    const name = frame.functionName.startsWith('(') ? frame.functionName : frameName(frame);
    add(self, name, us);
    add(
      packages,
      frame.functionName.startsWith('(') ? frame.functionName : packageOf(frame.url),
      us,
    );
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at).callFrame;
      if (f.functionName === '(root)') continue;
      const key = frameName(f);
      if (!seen.has(key)) {
        seen.add(key);
        add(total, key, us);
      }
    }
  });
  return { busy, idle, self, total, packages };
}

const ms = (us) => (us / 1000).toFixed(0).padStart(7);
const pct = (us, of) => `${((100 * us) / of).toFixed(1).padStart(5)}%`;
const ranked = (map, n) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);

for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .sort()) {
  const pid = file.split('.')[3]; // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile
  const name = services[pid] ?? `pid ${pid}`;
  const s = summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  console.log(
    `\n== ${name}: ${ms(s.busy).trim()} ms on CPU, ${ms(s.idle).trim()} ms idle (${file})`,
  );
  console.log('  by package (self):');
  for (const [key, us] of ranked(s.packages, 12))
    console.log(`  ${ms(us)} ms ${pct(us, s.busy)}  ${key}`);
  console.log('  functions by self time:');
  for (const [key, us] of ranked(s.self, top))
    console.log(`  ${ms(us)} ms ${pct(us, s.busy)}  ${key}`);
  console.log('  functions by total time:');
  for (const [key, us] of ranked(s.total, top))
    console.log(`  ${ms(us)} ms ${pct(us, s.busy)}  ${key}`);
}
