import type { NodeRow } from './nodes.js';

export interface FleetCounts {
  total: number;
  byState: Map<string, number>;
  /** site → state → count */
  bySite: Map<string, Map<string, number>>;
  byPower: Map<string, number>;
  maintenance: number;
  failed: number;
}

const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

export const isFailed = (row: NodeRow) => / failed$|^error$/.test(row.provision_state);

export function countFleet(rows: Iterable<NodeRow>): FleetCounts {
  const counts: FleetCounts = {
    total: 0,
    byState: new Map(),
    bySite: new Map(),
    byPower: new Map(),
    maintenance: 0,
    failed: 0,
  };
  for (const row of rows) {
    counts.total++;
    bump(counts.byState, row.provision_state);
    const site = counts.bySite.get(row.conductor_group) ?? new Map<string, number>();
    bump(site, row.provision_state);
    counts.bySite.set(row.conductor_group, site);
    bump(counts.byPower, row.power_state ?? 'unknown');
    if (row.maintenance) counts.maintenance++;
    if (isFailed(row)) counts.failed++;
  }
  return counts;
}

/** The lifecycle's order, so states read left to right as a node moves; others follow by name. */
const LIFECYCLE = [
  'enroll',
  'verifying',
  'manageable',
  'inspecting',
  'inspect wait',
  'inspect failed',
  'cleaning',
  'clean wait',
  'clean failed',
  'available',
  'deploying',
  'wait call-back',
  'deploy failed',
  'active',
  'deleting',
  'rescuing',
  'rescue wait',
  'rescue',
  'servicing',
  'service wait',
  'error',
];

export function byLifecycle(a: string, b: string): number {
  const ia = LIFECYCLE.indexOf(a);
  const ib = LIFECYCLE.indexOf(b);
  if (ia >= 0 && ib >= 0) return ia - ib;
  if (ia >= 0) return -1;
  if (ib >= 0) return 1;
  return a.localeCompare(b);
}
