import { isFailed } from './fleet-counts.js';
import { siteName } from './format.js';
import type { NodeRow } from './nodes.js';

export interface NodeFilters {
  state: string;
  site: string;
  power: string;
  /** '' any, 'true' in maintenance, 'false' not */
  maintenance: string;
  /** '1': failed states only */
  failed: string;
  /** Substring of the name, uuid or last_error, any case. */
  text: string;
}

export const FILTER_KEYS = ['state', 'site', 'power', 'maintenance', 'failed', 'text'] as const;

export function filtersFrom(params: URLSearchParams): NodeFilters {
  const get = (key: string) => params.get(key) ?? '';
  return {
    state: get('state'),
    site: get('site'),
    power: get('power'),
    maintenance: get('maintenance'),
    failed: get('failed'),
    text: get('text'),
  };
}

/** One collator for every comparison: `localeCompare` with options builds one per call. */
const byName = new Intl.Collator(undefined, { numeric: true });

/** The rows that pass every filter, sorted by name (then uuid): one pass over the fleet. */
export function filterNodes(rows: Iterable<NodeRow>, f: NodeFilters): NodeRow[] {
  const text = f.text.trim().toLowerCase();
  const out: NodeRow[] = [];
  for (const row of rows) {
    if (f.state && row.provision_state !== f.state) continue;
    if (f.site && siteName(row.conductor_group) !== f.site) continue;
    if (f.power && (row.power_state ?? 'unknown') !== f.power) continue;
    if (f.maintenance && String(row.maintenance) !== f.maintenance) continue;
    if (f.failed === '1' && !isFailed(row)) continue;
    if (
      text &&
      !row.uuid.includes(text) &&
      !(row.name ?? '').toLowerCase().includes(text) &&
      !(row.last_error ?? '').toLowerCase().includes(text)
    )
      continue;
    out.push(row);
  }
  return out.sort(
    (a, b) => byName.compare(a.name ?? '', b.name ?? '') || byName.compare(a.uuid, b.uuid),
  );
}
