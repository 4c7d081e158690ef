// The power sync bench's table: per minute, CPU seconds of each Ingot service and of PostgreSQL,
// in cores (CPU seconds per second), the BMC requests, how many times each system was read, and
// the machine's load; then the sync passes, the out-of-band flips and the setup.

const SERVICES = ['conductor', 'power', 'api', 'imagecache', 'inspector'];
const f2 = (x) => (x === null || x === undefined ? '-' : Number(x).toFixed(2));

function row(cells, widths) {
  return cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
}

/** Ingot (its five services), PostgreSQL (this database's backends) and both, in cores. */
export function coresOf(window, seconds = 60) {
  const ingot = SERVICES.reduce((sum, s) => sum + (window.cpu_s[s] ?? 0), 0);
  const pg = window.cpu_s['postgres (this db)'] ?? 0;
  return { ingot: ingot / seconds, pg: pg / seconds, both: (ingot + pg) / seconds };
}

export function printReport(result) {
  const { options: o, windows } = result;
  const lines = [];
  lines.push(
    `Power sync: ${o.nodes} redfish nodes (${o.state}) on one light BMC host, sync every ` +
      `${o.interval_ms / 1000} s, INGOT_POWER_SYNC_WORKERS=${o.workers ?? '8 (default)'}` +
      `${Number(o['bmc-delay-ms']) ? `, BMC answers after ${o['bmc-delay-ms']} ms` : ''}`,
  );
  lines.push(
    `started ${result.started_at}; load average ${result.machine.load_average_at_start.join(' ')} → ` +
      `${result.machine.load_average_at_end?.join(' ') ?? '-'} (2 cores, shared with other work)`,
  );
  lines.push('');
  const head = [
    'min',
    ...SERVICES,
    'PG(db)',
    'Ingot+PG cores',
    'PG(cluster)',
    'bench',
    'other',
    'BMC req',
    'reads/system',
    'unread',
    'load1',
  ];
  const widths = head.map((h) => Math.max(h.length, 6));
  lines.push(row(head, widths));
  for (const w of result.baseline ? [result.baseline, ...windows] : windows) {
    const c = w.cpu_s;
    const ours =
      SERVICES.reduce((sum, s) => sum + (c[s] ?? 0), 0) +
      (c['postgres (cluster)'] ?? 0) +
      (c['bench + light host'] ?? 0);
    lines.push(
      row(
        [
          w.minute,
          ...SERVICES.map((s) => f2(c[s])),
          f2(c['postgres (this db)']),
          f2(coresOf(w).both),
          f2(c['postgres (cluster)']),
          f2(c['bench + light host']),
          f2(c.machine - ours),
          w.bmc_requests,
          `${w.reads_per_system.min}–${w.reads_per_system.max}`,
          w.systems_not_read,
          w.load_average[0],
        ],
        widths,
      ),
    );
  }
  lines.push(
    '(CPU seconds per minute; Ingot+PG cores = (five services + PG(db)) / 60 s; "no sync": the' +
      ' same services for a minute before the sync was turned on)',
  );
  const steady = windows.length > 1 ? windows.slice(1) : windows;
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const cores = steady.map((w) => coresOf(w));
  lines.push(
    `steady state (minutes ${steady[0]?.minute}–${steady.at(-1)?.minute}): Ingot ${f2(mean(cores.map((c) => c.ingot)))} + ` +
      `PostgreSQL ${f2(mean(cores.map((c) => c.pg)))} = ${f2(mean(cores.map((c) => c.both)))} cores; ` +
      `${Math.round(mean(steady.map((w) => w.bmc_requests)))} BMC requests/min`,
  );
  const full = result.sync_passes.filter((p) => !p.unfinished);
  const durations = full.map((p) => p.duration_s).sort((a, b) => a - b);
  lines.push(
    `sync passes: ${full.length} complete, ${durations.length ? `${f2(durations[Math.floor(durations.length / 2)])} s median, ${f2(durations.at(-1))} s longest, ` : ''}` +
      `${full.length ? Math.round(mean(full.map((p) => p.requests_per_s))) : '-'} BMC requests/s while running`,
  );
  const fl = result.flips;
  lines.push(
    `out-of-band power changes: ${fl.flips} made, ${fl.seen} seen through the API: delay p50 ${f2(fl.p50_s)} s, ` +
      `p90 ${f2(fl.p90_s)} s, max ${f2(fl.max_s)} s${fl.unseen ? ` (${fl.unseen} not seen in time)` : ''}`,
  );
  const setup = Object.entries(result.setup)
    .filter(([k]) => k !== 'failed')
    .map(
      ([k, v]) =>
        `${k} ${f2(v.wall_s)} s (Ingot ${f2(v.ingot_cpu_s)} + PG ${f2(v.postgres_cpu_s)} CPU s)`,
    );
  lines.push(`setup: ${setup.join('; ')}; ${result.setup.failed.length} failed`);
  lines.push(
    `light host: ${result.light_host.systems} systems in +${f2(result.light_host.heap_mib)} MiB of heap; ` +
      `${result.light_host_after.sessions} sessions at the end; ` +
      `nodes after: ${JSON.stringify(result.nodes_after)}`,
  );
  lines.push(
    `services' RSS MiB: ${result.services.map((s) => `${s.name} ${Math.round(s.rss_mib ?? 0)}`).join(', ')}`,
  );
  console.log(lines.join('\n'));
}
