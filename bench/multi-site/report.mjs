// Tables of bench/multi-site.mjs runs: one run in full (phases, CPU, who touched what, kills), or
// several side by side: `node bench/multi-site/report.mjs r1.json r2.json r2-kill.json`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Markdown table from a header row and rows. */
function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** CPU ms per node of a phase: all Ingot processes, by kind, and PostgreSQL. */
export function cpuPerNode(phase) {
  const perNode = (s) => (phase.nodes ? (s * 1000) / phase.nodes : NaN);
  const byKind = {};
  for (const [name, s] of Object.entries(phase.cpu.services)) {
    const kind = name.replace(/-(east|west)-\d+$/, '');
    byKind[kind] = (byKind[kind] ?? 0) + s;
  }
  return {
    ingot: perNode(phase.cpu.ingot),
    conductor: perNode(byKind.conductor ?? 0),
    power: perNode(byKind.power ?? 0),
    api: perNode(byKind.api ?? 0),
    postgres: perNode(phase.cpu.postgres),
  };
}

function phaseTable(run) {
  const rows = run.phases.map((p) => {
    const c = cpuPerNode(p);
    const done = run.meta.sites.map((s) => fmt(p.site_done_s?.[s], 2)).join(' / ');
    return [
      p.phase,
      fmt(p.wall_s, 2),
      done,
      `${p.failed_nodes} / ${p.failed_requests}`,
      `${fmt(c.ingot)} (+${fmt(c.postgres)} PG)`,
      fmt(c.conductor + c.power),
      fmt(c.conductor),
      fmt(c.power),
      fmt(c.api),
      fmt(p.cpu.other, 1),
      `${p.cpu.load_start[0]} → ${p.cpu.load_end[0]}`,
    ];
  });
  return table(
    [
      'phase',
      'wall s',
      `done s ${run.meta.sites.join(' / ')}`,
      'failed nodes / requests',
      'Ingot CPU ms/node',
      'workers',
      'conductors',
      'power',
      'api',
      'other CPU s',
      'load 1m',
    ],
    rows,
  );
}

/** Per replica and phase: touches of its own site's nodes / of another site's. */
function touchTable(run, kind, cell) {
  const phases = run.phases.filter((p) => Object.values(p.replicas).some((r) => r.kind === kind));
  const names = [...new Set(phases.flatMap((p) => Object.keys(p.replicas)))]
    .filter((n) => phases.some((p) => p.replicas[n]?.kind === kind))
    .sort();
  const rows = names.map((name) => {
    const site = phases.find((p) => p.replicas[name])?.replicas[name].site;
    return [
      name,
      site,
      ...phases.map((p) => {
        const r = p.replicas[name];
        if (!r) return '-';
        let own = { total: 0 };
        let other = 0;
        for (const [s, t] of Object.entries(r.bySite))
          if (s === r.site) own = t;
          else other += t.total + (t.history ?? 0);
        return cell(own, other);
      }),
    ];
  });
  return table(['replica', 'site', ...phases.map((p) => p.phase)], rows);
}

function killLines(run) {
  return run.phases
    .filter((p) => p.kill)
    .map((p) => {
      const k = p.kill;
      if (!k.killed) return `- ${p.phase}: ${k.victim} was not killed (the phase ended first)`;
      return (
        `- ${p.phase}: kill -9 ${k.victim} at ${fmt(k.killed_at_s, 2)} s (east ${k.site_reached_at_kill} done); ` +
        (k.victim.startsWith('conductor')
          ? `it held ${k.leases_held_at_kill} leases, all done ${fmt(k.held_all_done_s_after_kill, 2)} s after the kill; `
          : '') +
        `${k.pending_at_kill} east nodes were on their way, the last done ${fmt(k.pending_all_done_s_after_kill, 2)} s after the kill; ` +
        `failed nodes ${p.failed_nodes}; replacement ${k.replacement} started after the phase`
      );
    });
}

export function printRun(run) {
  const m = run.meta;
  const out = [
    `## ${m.label}: ${m.sites.length} sites × ${m.nodes_per_site} nodes, ${m.replicas} conductor(s) + ${m.replicas} power worker(s) per site`,
    `${m.started_at}, commit ${m.commit}, ${m.cpus} CPUs, Node ${m.node}, load ${m.load_at_start.join(' ')} → ${m.load_at_end?.join(' ')}, ${m.concurrency} clients`,
    '',
    phaseTable(run),
    '',
    'CPU ms/node: the phase\'s CPU seconds over its nodes (both sites); "workers" = conductors + power workers (the API\'s share grows with the wall time: it answers the polls); "PG" is this installation\'s PostgreSQL backends; "other CPU s" is what the rest of the machine used meanwhile.',
    '',
    '### Conductors: node leases taken (own site / other site) [nodes in the history they wrote]',
    touchTable(run, 'conductor', (own, other) => `${own.total}/${other} [${own.nodes ?? 0}]`),
    '',
    '### Power workers: BMC commands answered (own site / other site)',
    touchTable(run, 'power', (own, other) => `${own.total}/${other}`),
    '',
    `Of which power sync (leases / power reads): ${powerSyncLine(run)}`,
    `Cross-site touches in all phases: ${run.phases.reduce((a, p) => a + p.cross_site_touches, 0)}`,
  ];
  const kills = killLines(run);
  if (kills.length) out.push('', '### Kills', ...kills);
  return out.join('\n');
}

function powerSyncLine(run) {
  const sums = {};
  for (const p of run.phases)
    for (const [name, r] of Object.entries(p.replicas))
      for (const t of Object.values(r.bySite)) if (t.sync) sums[name] = (sums[name] ?? 0) + t.sync;
  const names = Object.keys(sums).sort();
  return names.length ? names.map((n) => `${n} ${sums[n]}`).join(', ') : 'none';
}

/** Share of a site's conductor leases (power commands) per replica in a phase, e.g. "51/49". */
function spread(phase, site, kind) {
  const counts = Object.values(phase.replicas)
    .filter((r) => r.kind === kind && r.site === site)
    .map((r) => r.bySite[site]?.total ?? 0);
  const total = counts.reduce((a, b) => a + b, 0);
  return total ? counts.map((c) => Math.round((100 * c) / total)).join('/') : '-';
}

/** Several runs side by side: wall time and CPU per node per phase, the spread, the failures. */
export function printComparison(runs) {
  const phases = runs[0].phases.map((p) => p.phase);
  const labels = runs.map((r) => r.meta.label);
  const at = (run, phase) => run.phases.find((p) => p.phase === phase);
  const rows = phases.map((phase) => [
    phase,
    ...runs.map((r) => fmt(at(r, phase)?.wall_s, 2)),
    ...runs.map((r) => {
      const p = at(r, phase);
      if (!p) return '-';
      const c = cpuPerNode(p);
      return `${fmt(c.ingot)} (+${fmt(c.postgres)})`;
    }),
    ...runs.map((r) => {
      const p = at(r, phase);
      if (!p) return '-';
      const c = cpuPerNode(p);
      return fmt(c.conductor + c.power);
    }),
    ...runs.map((r) => String(at(r, phase)?.failed_nodes ?? '-')),
    ...runs.map((r) => String(at(r, phase)?.cross_site_touches ?? '-')),
  ]);
  const spreadRows = phases
    .filter((phase) => !['enroll', 'delete'].includes(phase))
    .map((phase) => [
      phase,
      ...runs.flatMap((r) => {
        const p = at(r, phase);
        return r.meta.sites.map((s) =>
          p ? `${spread(p, s, 'conductor')} · ${spread(p, s, 'power')}` : '-',
        );
      }),
    ]);
  const m = runs[0].meta;
  return [
    `## ${m.sites.length} sites × ${m.nodes_per_site} nodes: ${labels.join(', ')}`,
    runs
      .map(
        (r) =>
          `${r.meta.label}: ${r.meta.started_at}, load ${r.meta.load_at_start.join(' ')} → ${r.meta.load_at_end?.join(' ')}`,
      )
      .join('\n'),
    '',
    table(
      [
        'phase',
        ...labels.map((l) => `wall s ${l}`),
        ...labels.map((l) => `CPU ms/node ${l} (+PG)`),
        ...labels.map((l) => `workers ms/node ${l}`),
        ...labels.map((l) => `failed nodes ${l}`),
        ...labels.map((l) => `cross-site ${l}`),
      ],
      rows,
    ),
    '',
    "Spread: each replica's share (%) of its site's conductor leases · power commands",
    table(
      ['phase', ...runs.flatMap((r) => r.meta.sites.map((s) => `${r.meta.label} ${s}`))],
      spreadRows,
    ),
    ...runs.flatMap((r) => {
      const kills = killLines(r);
      return kills.length ? ['', `Kills (${r.meta.label}):`, ...kills] : [];
    }),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
  if (runs.length === 0) {
    console.error('usage: node bench/multi-site/report.mjs RUN.json [RUN.json...]');
    process.exit(2);
  }
  console.log(runs.length === 1 ? printRun(runs[0]) : printComparison(runs));
}
