import { useEffect, useState } from 'preact/hooks';
import { duration, siteName, stateClass, time } from '../format.js';
import { fetchHistory, fetchNode, type HistoryEntry, type NodeDetail } from '../nodes.js';
import type { FleetStore } from '../store.js';
import { Actions } from './actions.js';
import { AgentLogs } from './agent-logs.js';
import { Timeline } from './timeline.js';

/** While a node works (a target state), its agent logs are read again this often. */
const WORKING_REFRESH_MS = 5000;

/** One node: its states (live), last error, timeline, agent logs and actions. */
export function NodePage({
  store,
  uuid,
  canAct,
}: {
  store: FleetStore;
  uuid: string;
  canAct: boolean;
}) {
  const [node, setNode] = useState<NodeDetail | null>(null);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  /** Bumped by each event of the node: its details and history are read again. */
  const [tick, setTick] = useState(0);
  /** Bumped by events and, while the node works, by a timer: the agent logs are read again. */
  const [logTick, setLogTick] = useState(0);
  const [now, setNow] = useState(Date.now());

  // Each event of this node reloads its details and history (debounced: a deploy sends bursts).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = store.watchNode(uuid, () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        setTick((t) => t + 1);
        setLogTick((t) => t + 1);
      }, 300);
    });
    return () => {
      clearTimeout(timer);
      stop();
    };
  }, [store, uuid]);
  useEffect(() => {
    let cancelled = false;
    Promise.all([fetchNode(uuid), fetchHistory(uuid)])
      .then(([fresh, entries]) => {
        if (cancelled) return;
        setNode(fresh);
        setHistory(entries);
        setNow(Date.now());
        setProblem(null);
      })
      .catch((error: unknown) => !cancelled && setProblem((error as Error).message));
    return () => {
      cancelled = true;
    };
  }, [uuid, tick]);

  // While the stream is live its row is the newest word on the states it carries; without it the
  // node fetched on this page is.
  const row = store.stream === 'live' && node ? store.rows.get(node.uuid) : undefined;
  const live: NodeDetail | null = node ? { ...node, ...(row ?? {}) } : null;
  const working = !!live?.target_provision_state || !!live?.target_power_state;
  // The "for 3 min" of the current state counts up.
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    if (!working) return;
    const timer = setInterval(() => setLogTick((t) => t + 1), WORKING_REFRESH_MS);
    return () => clearInterval(timer);
  }, [working]);

  if (problem && !live)
    return (
      <p class="notice error">
        Node {uuid}: {problem}
      </p>
    );
  if (!live) return <p class="notice">Loading node {uuid}…</p>;
  const since = live.provision_updated_at ? Date.parse(live.provision_updated_at) : NaN;
  return (
    <section class="node-page" data-testid="node-page" data-node={live.uuid}>
      <h1>
        {live.name ?? live.uuid} {live.maintenance && <span class="badge">maintenance</span>}
      </h1>
      <p class="muted">{live.uuid}</p>
      <dl class="facts">
        <dt>Provision state</dt>
        <dd>
          <span class={stateClass(live.provision_state)} data-field="provision_state">
            {live.provision_state}
          </span>
          {live.target_provision_state && (
            <span class="muted" data-field="target_provision_state">
              {' '}
              → {live.target_provision_state}
            </span>
          )}
          {!Number.isNaN(since) && (
            <span class="muted"> for {duration(Math.max(0, now - since))}</span>
          )}
        </dd>
        <dt>Power</dt>
        <dd data-field="power_state">
          {live.power_state ?? 'unknown'}
          {live.target_power_state ? ` → ${live.target_power_state}` : ''}
        </dd>
        <dt>Site</dt>
        <dd>{siteName(live.conductor_group)}</dd>
        <dt>Driver</dt>
        <dd>{String(live.driver ?? '–')}</dd>
        <dt>Updated</dt>
        <dd>{time(live.provision_updated_at)}</dd>
      </dl>
      {live.last_error && (
        <div class="last-error" data-testid="last-error">
          <strong>Last error</strong>
          <pre>{live.last_error}</pre>
        </div>
      )}
      {canAct && <Actions node={live} />}
      <h2>Timeline</h2>
      <Timeline history={history} now={now} />
      <h2>Agent logs</h2>
      <AgentLogs uuid={live.uuid} tick={logTick} />
    </section>
  );
}
