import type { ApiClient } from './client.js';
import { followEvents, StreamUnavailable, type StreamMessage } from './event-stream.js';
import { usageError } from './exit-codes.js';

/** What the CLI follows of a node. */
export interface NodeState {
  uuid: string;
  name: string | null;
  provision_state: string;
  target_provision_state: string | null;
  power_state: string | null;
  last_error: string | null;
  maintenance: boolean;
  provision_updated_at: string | null;
}

const FIELDS =
  'uuid,name,provision_state,target_provision_state,power_state,last_error,maintenance,provision_updated_at';
const POLL_MS = 2_000;

/**
 * The nodes of interest, kept current from the API's event stream (GET /v1/events), or by
 * polling the node list when the API has no stream. A list loaded while events arrive cannot
 * undo them: a node's state is replaced only by something at least as recent.
 */
export class FleetWatch {
  readonly nodes = new Map<string, NodeState>();
  /** 'events' once the stream is live, 'polling' when the API has none. */
  mode: 'starting' | 'events' | 'polling' = 'starting';
  private selected: Set<string> | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly opts: {
      /** Names or UUIDs; undefined: every node the caller may read. */
      idents?: string[];
      onChange?: (node: NodeState, previous: NodeState | undefined) => void;
    },
  ) {}

  /** Loads the nodes; the selection's idents must all exist. */
  async load(): Promise<void> {
    const all = await listNodes(this.client);
    if (this.opts.idents && !this.selected) {
      const byIdent = new Map<string, string>();
      for (const n of all) {
        byIdent.set(n.uuid, n.uuid);
        if (n.name) byIdent.set(n.name, n.uuid);
      }
      const unknown = this.opts.idents.filter((i) => !byIdent.has(i));
      if (unknown.length > 0) throw usageError(`no node named ${unknown.join(', ')}`);
      this.selected = new Set(this.opts.idents.map((i) => byIdent.get(i)!));
    }
    for (const node of all) if (this.wants(node.uuid)) this.update(node);
  }

  private wants(uuid: string): boolean {
    return !this.selected || this.selected.has(uuid);
  }

  private update(node: NodeState): void {
    const previous = this.nodes.get(node.uuid);
    if (previous && (previous.provision_updated_at ?? '') > (node.provision_updated_at ?? ''))
      return;
    this.nodes.set(node.uuid, node);
    if (
      !previous ||
      previous.provision_state !== node.provision_state ||
      previous.target_provision_state !== node.target_provision_state ||
      previous.power_state !== node.power_state ||
      previous.last_error !== node.last_error
    )
      this.opts.onChange?.(node, previous);
  }

  /** Follows changes until `signal` aborts: events when the API streams them, else polling. */
  async follow(signal: AbortSignal): Promise<void> {
    const query = new URLSearchParams({ kinds: 'provision,power' });
    // A short selection is filtered by the API; a long one here (the query string stays small).
    if (this.selected && this.selected.size <= 50) query.set('node', [...this.selected].join(','));
    try {
      await followEvents(this.client, query, (message) => void this.onMessage(message), signal);
    } catch (error) {
      if (!(error instanceof StreamUnavailable)) throw error;
      this.mode = 'polling';
      while (!signal.aborted) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        if (!signal.aborted) await this.load();
      }
    }
  }

  private reloading: Promise<void> | undefined;

  private async onMessage(message: StreamMessage): Promise<void> {
    if (message.event === 'ready' || message.event === 'reset') {
      // Live now (or events were missed): what happened before is in the list.
      this.mode = 'events';
      this.reloading = this.load().catch(() => undefined);
      return;
    }
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(message.data) as Record<string, unknown>;
    } catch {
      return;
    }
    const uuid = payload.node_uuid as string | undefined;
    if (!uuid || !this.wants(uuid)) return;
    const known = this.nodes.get(uuid);
    if (!known) {
      // A node enrolled after the list was read: fetch it.
      const fresh = await getNode(this.client, uuid).catch(() => undefined);
      if (fresh) this.update(fresh);
      return;
    }
    const at = (payload.at as string | undefined) ?? known.provision_updated_at;
    if (message.event === 'provision_state_changed')
      this.update({
        ...known,
        provision_state: payload.to as string,
        target_provision_state: (payload.target as string | null) ?? null,
        last_error: (payload.last_error as string | null) ?? null,
        provision_updated_at: at,
      });
    else if (message.event === 'power_state_changed')
      this.update({ ...known, power_state: (payload.to as string | null) ?? null });
    else if (message.event === 'maintenance_changed')
      this.update({ ...known, maintenance: payload.maintenance === true });
  }

  /** Waits for a reload started by the stream's `ready` (tests and the first screen). */
  async settled(): Promise<void> {
    await this.reloading;
  }
}

export async function listNodes(client: ApiClient): Promise<NodeState[]> {
  const nodes: NodeState[] = [];
  let marker: string | undefined;
  for (;;) {
    const query = new URLSearchParams({
      fields: FIELDS,
      limit: '1000',
      ...(marker ? { marker } : {}),
    });
    const { body } = await client.json<{ nodes: NodeState[] }>('GET', `/v1/nodes?${query}`);
    nodes.push(...body.nodes);
    if (body.nodes.length < 1000) return nodes;
    marker = body.nodes[body.nodes.length - 1]!.uuid;
  }
}

export async function getNode(client: ApiClient, ident: string): Promise<NodeState> {
  const { body } = await client.json<NodeState>(
    'GET',
    `/v1/nodes/${encodeURIComponent(ident)}?fields=${FIELDS}`,
  );
  return body;
}

/** A node that will not reach `wanted` without someone acting: failed states, or an error at rest. */
export function failureOf(node: NodeState, wanted: string): string | undefined {
  if (node.provision_state === wanted) return undefined;
  const failedState = node.provision_state.endsWith(' failed') || node.provision_state === 'error';
  const stuckAtRest =
    node.target_provision_state === null &&
    node.last_error !== null &&
    ['enroll', 'manageable', 'available', 'active'].includes(node.provision_state);
  if (!failedState && !stuckAtRest) return undefined;
  return `${node.provision_state}${node.last_error ? `: ${node.last_error}` : ''}`;
}
