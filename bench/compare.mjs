// Prints the anchor workload's results for Ingot and Ironic side by side: per phase the wall time,
// per request kind p50/p99 latency, and the ratio Ingot/Ironic (below 1: Ingot is faster).
//   usage: node bench/compare.mjs INGOT.json IRONIC.json
import { readFileSync } from 'node:fs';

const [ingotFile, ironicFile] = process.argv.slice(2);
if (!ingotFile || !ironicFile) {
  console.error('usage: node bench/compare.mjs INGOT.json IRONIC.json');
  process.exit(2);
}
const load = (file) => JSON.parse(readFileSync(file, 'utf8'));
const ingot = load(ingotFile);
const ironic = load(ironicFile);

const fmt = (v) => (typeof v === 'number' ? (v >= 100 ? v.toFixed(0) : v.toFixed(2)) : '–');
const ratio = (a, b) =>
  typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : undefined;
const byPhase = (result) => new Map(result.phases.map((p) => [p.phase, p]));

function rows() {
  const theirs = byPhase(ironic);
  const out = [];
  for (const mine of ingot.phases) {
    const other = theirs.get(mine.phase) ?? { ops: {} };
    out.push([mine.phase, '(wall s)', mine.wall_s, other.wall_s]);
    for (const [op, stats] of Object.entries(mine.ops)) {
      const o = other.ops?.[op] ?? {};
      out.push(['', `${op} p50 ms`, stats.p50_ms, o.p50_ms]);
      out.push(['', `${op} p99 ms`, stats.p99_ms, o.p99_ms]);
    }
  }
  return out.map(([phase, what, a, b]) => [phase, what, fmt(a), fmt(b), fmt(ratio(a, b))]);
}

function print(table) {
  const header = ['phase', 'measure', 'ingot', 'ironic', 'ingot/ironic'];
  const all = [header, ...table];
  const width = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i < 2 ? c.padEnd(width[i]) : c.padStart(width[i])));
  console.log(line(header).join('  '));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const r of table) console.log(line(r).join('  '));
}

console.log(
  `N=${ingot.meta.nodes} concurrency=${ingot.meta.concurrency}; ` +
    `ingot ${ingot.meta.server?.max_version ?? '?'} at ${ingot.meta.url}, ` +
    `ironic ${ironic.meta.server?.max_version ?? '?'} at ${ironic.meta.url}`,
);
print(rows());
console.log(
  `total phase wall: ingot ${fmt(ingot.totals.wall_s)} s, ironic ${fmt(ironic.totals.wall_s)} s, ` +
    `ratio ${fmt(ratio(ingot.totals.wall_s, ironic.totals.wall_s))}; failed requests ` +
    `${ingot.totals.failed_requests}/${ironic.totals.failed_requests}, failed nodes ` +
    `${ingot.totals.failed_nodes}/${ironic.totals.failed_nodes}`,
);
