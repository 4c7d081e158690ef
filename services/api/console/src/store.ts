import { fetchNodeRow, listAllNodes, type NodeRow } from './nodes.js';
import { openEventStream, type StreamEvent, type StreamState } from './sse.js';

/** The payload of a node event as published on the bus (contract 1 of issue 12). */
interface NodeEventData {
  type?: string;
  node_uuid: string;
  site?: string;
  at?: string;
  from?: string | null;
  to?: string | null;
  target?: string | null;
  last_error?: string | null;
  /** maintenance_changed */
  maintenance?: boolean;
}

type Listener = () => void;

/**
 * The fleet as the console knows it: every node's row, loaded once and then kept current by the
 * event stream (no polling). Views subscribe and re-render at most every NOTIFY_MS, so a burst of
 * events over 10,000 nodes costs one render.
 */
export class FleetStore {
  readonly rows = new Map<string, NodeRow>();
  /** Bumped on every change: views memoize on it. */
  version = 0;
  loading = true;
  loadError: string | null = null;
  stream: StreamState = 'connecting';
  streamDetail: string | undefined;
  private listeners = new Set<Listener>();
  private nodeListeners = new Map<string, Set<(event: NodeEventData) => void>>();
  private notifyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Events that arrive while the list loads, applied after it. */
  private pending: NodeEventData[] | null = null;
  private loadedOnce = false;
  /** Whether a stream has been live since the list loaded: events after the load reach us. */
  private liveSinceLoad = false;
  private stop: (() => void) | undefined;

  private static readonly NOTIFY_MS = 100;

  start(): void {
    this.stop = openEventStream({
      url: '/v1/events',
      onEvent: (event) => this.onStreamEvent(event),
      onState: (state, detail) => {
        this.stream = state;
        this.streamDetail = detail;
        // Without a stream (not offered, or refused) the list still loads once, just not live.
        if (state === 'offline' && !this.loadedOnce) void this.reload();
        this.changed();
      },
    });
  }

  close(): void {
    this.stop?.();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` with each event of one node (its page reloads its details). */
  watchNode(uuid: string, listener: (event: NodeEventData) => void): () => void {
    const set = this.nodeListeners.get(uuid) ?? new Set();
    set.add(listener);
    this.nodeListeners.set(uuid, set);
    return () => set.delete(listener);
  }

  private reloading: Promise<void> | null = null;
  private reloadAgain = false;

  /**
   * Every row again: at start, and when the stream says it lost events (`reset`). Loads never
   * overlap: one asked for during a load runs after it.
   */
  reload(): Promise<void> {
    this.loadedOnce = true;
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        await this.loadOnce();
      } while (this.reloadAgain);
      this.reloading = null;
    })();
    return this.reloading;
  }

  private async loadOnce(): Promise<void> {
    this.pending = [];
    this.loading = true;
    this.changed();
    try {
      const rows = await listAllNodes();
      this.rows.clear();
      for (const row of rows) this.rows.set(row.uuid, row);
      this.loadError = null;
    } catch (error) {
      this.loadError = (error as Error).message;
    }
    const queued = this.pending;
    this.pending = null;
    for (const event of queued) this.apply(event);
    this.loading = false;
    this.changed();
  }

  private onStreamEvent(event: StreamEvent): void {
    if (event.type === 'ready') {
      // A list loaded while no stream was live may have missed changes: load it again, once.
      if (!this.liveSinceLoad) void this.reload();
      this.liveSinceLoad = true;
      return;
    }
    if (event.type === 'reset') {
      void this.reload();
      return;
    }
    let data: NodeEventData;
    try {
      data = JSON.parse(event.data) as NodeEventData;
    } catch {
      return; // not a node event
    }
    if (typeof data.node_uuid !== 'string') return;
    data.type ??= event.type;
    if (this.pending) this.pending.push(data);
    else this.apply(data);
    for (const listener of this.nodeListeners.get(data.node_uuid) ?? []) listener(data);
  }

  private apply(event: NodeEventData): void {
    const row = this.rows.get(event.node_uuid);
    if (!row) {
      // A node enrolled after the list loaded: fetch its row once.
      void fetchNodeRow(event.node_uuid)
        .then((fetched) => {
          this.rows.set(fetched.uuid, fetched);
          this.changed();
        })
        .catch(() => undefined);
      return;
    }
    const next = { ...row };
    if (event.type === 'provision_state_changed' && event.to) {
      next.provision_state = event.to;
      next.target_provision_state = event.target ?? null;
      next.last_error = event.last_error ?? null;
      next.provision_updated_at = event.at ?? next.provision_updated_at;
    } else if (event.type === 'power_state_changed') {
      next.power_state = event.to ?? null;
      next.target_power_state = null;
      if (event.last_error) next.last_error = event.last_error;
    } else if (event.type === 'maintenance_changed' && typeof event.maintenance === 'boolean') {
      next.maintenance = event.maintenance;
    } else {
      return;
    }
    this.rows.set(next.uuid, next);
    this.changed();
    // The power an operation leaves the server in is recorded without an event of its own:
    // when an operation ends, read it (and maintenance) once.
    if (event.type === 'provision_state_changed' && !event.target)
      this.refreshSideFields(next.uuid);
  }

  private refreshSideFields(uuid: string): void {
    void fetchNodeRow(uuid)
      .then((fetched) => {
        const row = this.rows.get(uuid);
        if (!row) return;
        // The provision fields stay the stream's: a read may be older than the next event.
        this.rows.set(uuid, {
          ...row,
          power_state: fetched.power_state,
          target_power_state: fetched.target_power_state,
          maintenance: fetched.maintenance,
        });
        this.changed();
      })
      .catch(() => undefined);
  }

  private changed(): void {
    this.notifyTimer ??= setTimeout(() => {
      this.notifyTimer = undefined;
      this.version++;
      for (const listener of this.listeners) listener();
    }, FleetStore.NOTIFY_MS);
  }
}
