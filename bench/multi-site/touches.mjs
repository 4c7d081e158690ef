// Who touched which site's nodes, from what the services themselves record, never from what the
// benchmark asked for:
// - the node history in PostgreSQL: every transition a conductor writes names that conductor;
// - each conductor's `ingot_conductor_node_leases_total{node_site,purpose}` (every lease it took:
//   commands, sweeps, power sync) and each power worker's `ingot_power_node_commands_total
//   {node_site,type}` (every BMC command it answered), both labelled with the site read from the
//   node's row, scraped from the replica's ops port every second so a killed replica keeps its counts;
// - the sites the replicas registered (the `conductors` table) or were started with.
/* global fetch, AbortSignal, structuredClone -- Node's own */
import { setTimeout as sleep } from 'node:timers/promises';

const COUNTERS = {
  conductor: 'ingot_conductor_node_leases_total',
  power: 'ingot_power_node_commands_total',
};

/** node uuid → its conductor_group as stored (read once after enrollment). */
export async function nodeSites(db) {
  const { rows } = await db.query('SELECT uuid, conductor_group FROM nodes');
  return new Map(rows.map((r) => [r.uuid, r.conductor_group || 'default']));
}

/** conductor id → the site it registered under. */
export async function conductorSites(db) {
  const { rows } = await db.query('SELECT id, conductor_group FROM conductors');
  return new Map(rows.map((r) => [r.id, r.conductor_group || 'default']));
}

/** History rows written since `afterId`: per conductor and node site, rows and distinct nodes. */
export async function historySince(db, afterId, sites) {
  const { rows } = await db.query(
    'SELECT id, node_uuid, conductor FROM node_history WHERE id > $1 AND conductor IS NOT NULL',
    [afterId],
  );
  const byConductor = {};
  let lastId = afterId;
  for (const row of rows) {
    lastId = Math.max(lastId, Number(row.id));
    const site = sites.get(row.node_uuid) ?? 'unknown';
    const entry = (byConductor[row.conductor] ??= {});
    const bucket = (entry[site] ??= { rows: 0, nodes: new Set() });
    bucket.rows++;
    bucket.nodes.add(row.node_uuid);
  }
  for (const entry of Object.values(byConductor))
    for (const [site, bucket] of Object.entries(entry))
      entry[site] = { rows: bucket.rows, nodes: bucket.nodes.size };
  return { byConductor, lastId };
}

/** The node-site counters of every conductor and power replica, kept at their last scrape. */
export class ReplicaCounters {
  /** @param {() => { name: string, kind: string, opsPort: number }[]} replicas */
  constructor(replicas) {
    this.replicas = replicas;
    /** name → { kind, counts: { 'node_site|label' → value } } */
    this.last = new Map();
    this.stopped = false;
    this.loop = undefined;
  }

  start() {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.scrape();
        await sleep(1_000);
      }
    })();
  }

  async stop() {
    this.stopped = true;
    await this.loop;
  }

  async scrape() {
    await Promise.all(
      this.replicas()
        .filter((r) => COUNTERS[r.kind])
        .map(async (r) => {
          try {
            const response = await fetch(`http://127.0.0.1:${r.opsPort}/metrics`, {
              signal: AbortSignal.timeout(5_000),
            });
            const counts = parseCounter(await response.text(), COUNTERS[r.kind]);
            this.last.set(r.name, { kind: r.kind, counts });
          } catch {
            // a killed replica: its last scrape stands
          }
        }),
    );
  }

  /** name → { kind, counts }, after a fresh scrape. */
  async snapshot() {
    await this.scrape();
    return structuredClone(Object.fromEntries(this.last));
  }
}

/** `name{node_site="east",type="x"} 12` lines → { 'east|x': 12 } (the second label is kept). */
export function parseCounter(text, name) {
  const counts = {};
  const line = new RegExp(`^${name}\\{([^}]*)\\} ([0-9.e+]+)$`, 'gm');
  for (const [, labels, value] of text.matchAll(line)) {
    const pairs = Object.fromEntries(
      [...labels.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    const other = Object.entries(pairs).find(([k]) => k !== 'node_site')?.[1] ?? '';
    counts[`${pairs.node_site}|${other}`] = Number(value);
  }
  return counts;
}

/**
 * Per replica, what it touched during one phase, by node site: conductors' leases, history rows
 * and nodes; power workers' BMC commands; `sync` is the part that was power sync (its leases,
 * its power reads). `siteOf` maps a replica (a conductor's name is its id) to its own site.
 */
export function touchesBetween(before, after, history, siteOf, kindOf) {
  const replicas = {};
  const names = new Set([...Object.keys(after), ...Object.keys(history.byConductor)]);
  for (const name of names) {
    const bySite = {};
    for (const [key, value] of Object.entries(after[name]?.counts ?? {})) {
      const delta = value - (before[name]?.counts[key] ?? 0);
      if (delta === 0) continue;
      const [site, label] = key.split('|');
      const entry = (bySite[site] ??= { total: 0 });
      entry.total += delta;
      if (label === 'power sync' || label === 'bmc.get_power')
        entry.sync = (entry.sync ?? 0) + delta;
    }
    for (const [site, h] of Object.entries(history.byConductor[name] ?? {}))
      Object.assign((bySite[site] ??= { total: 0 }), { history: h.rows, nodes: h.nodes });
    replicas[name] = { kind: kindOf(name), site: siteOf(name), bySite };
  }
  return replicas;
}

/** Touches of a node of another site than the replica's own: must stay 0. */
export function crossSiteTouches(replicas) {
  let count = 0;
  for (const r of Object.values(replicas))
    for (const [site, t] of Object.entries(r.bySite))
      if (site !== r.site) count += t.total + (t.history ?? 0);
  return count;
}
