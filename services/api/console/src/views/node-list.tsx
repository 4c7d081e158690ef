import { useEffect, useMemo, useState } from 'preact/hooks';
import { byLifecycle } from '../fleet-counts.js';
import { siteName, stateClass } from '../format.js';
import { FILTER_KEYS, filterNodes, filtersFrom, type NodeFilters } from '../node-filter.js';
import type { NodeRow } from '../nodes.js';
import { nodeHref } from '../route.js';
import type { FleetStore } from '../store.js';
import { useDebounced } from '../use-store.js';
import { VirtualList } from './virtual-list.js';

const ROW_HEIGHT = 34;

/** Every node, filtered and searched as you type, in a list that renders only what is in view. */
export function NodeList({ store, initial }: { store: FleetStore; initial: URLSearchParams }) {
  const [filters, setFilters] = useState<NodeFilters>(() => filtersFrom(initial));
  const settled = useDebounced(filters, 150);
  const rows = useMemo(() => filterNodes(store.rows.values(), settled), [store.version, settled]);
  const choices = useMemo(() => {
    const states = new Set<string>();
    const sites = new Set<string>();
    const powers = new Set<string>();
    for (const row of store.rows.values()) {
      states.add(row.provision_state);
      sites.add(siteName(row.conductor_group));
      powers.add(row.power_state ?? 'unknown');
    }
    return {
      states: [...states].sort(byLifecycle),
      sites: [...sites].sort(),
      powers: [...powers].sort(),
    };
  }, [store.version]);
  // The filters live in the address too, so a filtered list can be bookmarked or shared.
  useEffect(() => {
    const query = new URLSearchParams();
    for (const key of FILTER_KEYS) if (settled[key]) query.set(key, settled[key]);
    const hash = `#/nodes${query.toString() ? `?${query}` : ''}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }, [settled]);

  const set = (key: keyof NodeFilters) => (event: Event) =>
    setFilters({ ...filters, [key]: (event.currentTarget as HTMLInputElement).value });
  const select = (key: keyof NodeFilters, label: string, options: string[]) => (
    <label>
      {label}
      <select name={key} value={filters[key]} onChange={set(key)}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <section class="node-list">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label class="search">
          Search
          <input
            name="text"
            type="search"
            placeholder="name, uuid or last error"
            value={filters.text}
            onInput={set('text')}
          />
        </label>
        {select('state', 'State', choices.states)}
        {select('site', 'Site', choices.sites)}
        {select('power', 'Power', choices.powers)}
        {select('maintenance', 'Maintenance', ['true', 'false'])}
        {filters.failed === '1' && (
          <button type="button" class="chip" onClick={() => setFilters({ ...filters, failed: '' })}>
            failed only ✕
          </button>
        )}
        <span class="shown" data-testid="shown-count">
          {rows.length} of {store.rows.size}
        </span>
      </form>
      <div class="row head">
        <span>name</span>
        <span>provision state</span>
        <span>power</span>
        <span>site</span>
        <span>last error</span>
      </div>
      <VirtualList items={rows} rowHeight={ROW_HEIGHT} render={(row) => <NodeLine row={row} />} />
    </section>
  );
}

function NodeLine({ row }: { row: NodeRow }) {
  const target = row.target_provision_state ? ` → ${row.target_provision_state}` : '';
  return (
    <a class="row" href={nodeHref(row.uuid)} data-node={row.uuid} data-name={row.name ?? ''}>
      <span class="name">
        {row.name ?? row.uuid}
        {row.maintenance && <span class="badge">maintenance</span>}
      </span>
      <span class={stateClass(row.provision_state)} data-field="provision_state">
        {row.provision_state}
        <small>{target}</small>
      </span>
      <span data-field="power_state">{row.power_state ?? 'unknown'}</span>
      <span>{siteName(row.conductor_group)}</span>
      <span class="error-text" title={row.last_error ?? ''}>
        {row.last_error ?? ''}
      </span>
    </a>
  );
}
