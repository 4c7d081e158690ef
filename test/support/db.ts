import pg from 'pg';
import type { Installation } from '@ingot/lab';

/** The agent columns of a node row, which the API never shows (the token above all). */
export interface AgentColumns {
  provision_state: string;
  agent_token: string | null;
  agent_token_pregenerated: boolean;
  agent_url: string | null;
  agent_version: string | null;
  agent_last_heartbeat: Date | null;
}

/** A connection to an installation's database, for facts the API hides on purpose. */
export class NodeStore {
  private constructor(private readonly client: pg.Client) {}

  static async open(system: Installation): Promise<NodeStore> {
    const client = new pg.Client({ connectionString: system.databaseUrl });
    await client.connect();
    return new NodeStore(client);
  }

  async agentColumns(uuid: string): Promise<AgentColumns> {
    const { rows } = await this.client.query<AgentColumns>(
      `SELECT provision_state, agent_token, agent_token_pregenerated, agent_url, agent_version,
              agent_last_heartbeat
         FROM nodes WHERE uuid = $1`,
      [uuid],
    );
    if (!rows[0]) throw new Error(`no node ${uuid} in the database`);
    return rows[0];
  }

  /** Holds the node's lease for `ms` as another conductor would (it lapses by itself). */
  async holdLease(uuid: string, owner: string, ms: number): Promise<void> {
    const { rowCount } = await this.client.query(
      `UPDATE nodes SET lease_owner = $2, lease_purpose = 'test',
              lease_expires_at = now() + $3 * interval '1 millisecond'
        WHERE uuid = $1 AND (lease_owner IS NULL OR lease_expires_at < now())`,
      [uuid, owner, ms],
    );
    if (rowCount !== 1) throw new Error(`node ${uuid} is leased already`);
  }

  /** Conductor commands of a type the outbox ever held for the node (published rows are kept a while). */
  async outboxCount(uuid: string, type: string): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox
        WHERE payload->>'node_uuid' = $1 AND payload->>'type' = $2`,
      [uuid, type],
    );
    return rows[0]!.n;
  }

  /** The MAC addresses of the node's ports (there is no ports API yet). */
  async portAddresses(uuid: string): Promise<string[]> {
    const { rows } = await this.client.query<{ address: string }>(
      `SELECT address FROM ports WHERE node_uuid = $1 ORDER BY address`,
      [uuid],
    );
    return rows.map((r) => r.address);
  }

  /**
   * Leaves the node as a conductor that died mid-step would: in `state` towards `target`, with no
   * live lease. Only for simulating a crash at a point a test cannot reach by killing a process.
   */
  async abandonIn(uuid: string, state: string, target: string | null): Promise<void> {
    await this.client.query(
      `UPDATE nodes SET provision_state = $2, target_provision_state = $3,
              lease_owner = NULL, lease_expires_at = NULL, lease_purpose = NULL
        WHERE uuid = $1`,
      [uuid, state, target],
    );
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
