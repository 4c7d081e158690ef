import { getNode, type Db } from '@ingot/store';
import { authorize, type NodeTarget, type Principal } from '../auth/policy.js';

export interface NodeVisibilityOptions {
  /** How long a node's owner and lessee are trusted after they were read. */
  ttlMs: number;
  /** Nodes remembered at most; the oldest entry goes first. */
  maxEntries: number;
}

interface Entry {
  /** undefined: no such node (deleted), which only system-scoped principals see events of. */
  target: NodeTarget | undefined;
  readAt: number;
}

/**
 * Whether a principal may see a node's events: the rule of node reads (baremetal:node:get), with
 * the node's owner and lessee read from the database at most once per TTL for all the streams of
 * this API process. A change of owner or lessee is seen within the TTL.
 */
export class NodeVisibility {
  private readonly entries = new Map<string, Entry>();
  private readonly reading = new Map<string, Promise<Entry>>();

  constructor(
    private readonly db: Db,
    private readonly opts: NodeVisibilityOptions = { ttlMs: 5_000, maxEntries: 20_000 },
  ) {}

  async canSee(principal: Principal, nodeUuid: string): Promise<boolean> {
    // A system-scoped reader sees every node: no lookup needed.
    if (principal.projectId === null) return authorize(principal, 'baremetal:node:get');
    const { target } = await this.entry(nodeUuid);
    return target !== undefined && authorize(principal, 'baremetal:node:get', target);
  }

  private async entry(nodeUuid: string): Promise<Entry> {
    const cached = this.entries.get(nodeUuid);
    if (cached && Date.now() - cached.readAt < this.opts.ttlMs) return cached;
    // Many streams asking for the same node at once share one query.
    let pending = this.reading.get(nodeUuid);
    if (!pending) {
      pending = this.read(nodeUuid).finally(() => this.reading.delete(nodeUuid));
      this.reading.set(nodeUuid, pending);
    }
    return pending;
  }

  private async read(nodeUuid: string): Promise<Entry> {
    const node = await getNode(this.db, nodeUuid);
    const entry: Entry = {
      target: node ? { owner: node.owner, lessee: node.lessee } : undefined,
      readAt: Date.now(),
    };
    this.entries.delete(nodeUuid); // re-inserted last: the Map's order is the age order
    this.entries.set(nodeUuid, entry);
    if (this.entries.size > this.opts.maxEntries)
      this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }
}
