import { useMemo } from 'preact/hooks';
import { byLifecycle, countFleet } from '../fleet-counts.js';
import { stateClass, siteName } from '../format.js';
import { listHref } from '../route.js';
import type { FleetStore } from '../store.js';
import { Health } from './health.js';

/** The fleet at a glance: how many nodes in each provision state, per site, live. */
export function Overview({ store }: { store: FleetStore }) {
  const counts = useMemo(() => countFleet(store.rows.values()), [store.version]);
  const states = [...counts.byState.keys()].sort(byLifecycle);
  const sites = [...counts.bySite.keys()].sort();
  if (store.loading && counts.total === 0) return <p class="notice">Loading the fleet…</p>;
  return (
    <section class="overview" data-testid="overview">
      <div class="tiles">
        <a class="tile" href="#/nodes">
          <strong data-testid="total">{counts.total}</strong> nodes
        </a>
        <a class={`tile${counts.failed ? ' bad' : ''}`} href={listHref({ failed: '1' })}>
          <strong data-testid="failed-count">{counts.failed}</strong> failed
        </a>
        <a class="tile" href={listHref({ maintenance: 'true' })}>
          <strong>{counts.maintenance}</strong> in maintenance
        </a>
        {[...counts.byPower].sort().map(([power, n]) => (
          <a class="tile" key={power} href={listHref({ power })}>
            <strong>{n}</strong> {power}
          </a>
        ))}
      </div>
      <h2>By provision state</h2>
      <div class="states">
        {states.map((state) => (
          <a
            key={state}
            class={`count ${stateClass(state)}`}
            href={listHref({ state })}
            data-state={state}
          >
            <span class="n">{counts.byState.get(state)}</span>
            <span class="label">{state}</span>
          </a>
        ))}
      </div>
      <h2>By site (conductor group)</h2>
      <table class="matrix">
        <thead>
          <tr>
            <th>site</th>
            {states.map((state) => (
              <th key={state}>{state}</th>
            ))}
            <th>total</th>
          </tr>
        </thead>
        <tbody>
          {sites.map((site) => {
            const row = counts.bySite.get(site)!;
            let total = 0;
            for (const n of row.values()) total += n;
            return (
              <tr key={site} data-site={site}>
                <th>
                  <a href={listHref({ site: siteName(site) })}>{siteName(site)}</a>
                </th>
                {states.map((state) => (
                  <td key={state}>
                    {row.get(state) ? (
                      <a href={listHref({ site: siteName(site), state })}>{row.get(state)}</a>
                    ) : (
                      ''
                    )}
                  </td>
                ))}
                <td>{total}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2>Health</h2>
      <Health />
    </section>
  );
}
