import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Installation } from '@ingot/lab';
import { SecretBox } from '@ingot/store';

/** The agent columns of a node row, which the API never shows (the token above all). */
export interface AgentColumns {
  provision_state: string;
  /** SHA-256 (hex) of the agent token: what the API checks agents against. */
  agent_token_hash: string | null;
  /** The token sealed with the installation's key, for the conductor. */
  agent_token_sealed: string | null;
  agent_token_pregenerated: boolean;
  agent_url: string | null;
  /** The certificate the agent serves agent_url with (auto TLS), pinned with the URL. */
  agent_verify_ca: string | null;
  agent_version: string | null;
  agent_last_heartbeat: Date | null;
}

/** A connection to an installation's database, for facts the API hides on purpose. */
export class NodeStore {
  private constructor(
    private readonly client: pg.Client,
    private readonly box: SecretBox,
  ) {}

  static async open(system: Installation): Promise<NodeStore> {
    const client = new pg.Client({ connectionString: system.databaseUrl });
    await client.connect();
    return new NodeStore(client, new SecretBox(system.secretKey));
  }

  async agentColumns(uuid: string): Promise<AgentColumns> {
    const { rows } = await this.client.query<AgentColumns>(
      `SELECT provision_state, agent_token_hash, agent_token_sealed, agent_token_pregenerated,
              agent_url, agent_verify_ca, agent_version, agent_last_heartbeat
         FROM nodes WHERE uuid = $1`,
      [uuid],
    );
    if (!rows[0]) throw new Error(`no node ${uuid} in the database`);
    return rows[0];
  }

  /**
   * The node's agent token in clear, as the conductor opens it (with the installation's key) and
   * put it on the boot ISO; null when the node has none. Checks that it matches the stored hash.
   */
  async agentToken(uuid: string): Promise<string | null> {
    const row = await this.agentColumns(uuid);
    if (!row.agent_token_sealed) return null;
    const token = this.box.open(row.agent_token_sealed);
    if (agentTokenHash(token) !== row.agent_token_hash)
      throw new Error(`node ${uuid}: the sealed agent token does not match the stored hash`);
    return token;
  }

  /** The tables of the database with `secret` anywhere in a row (for a token: none may). */
  async tablesHolding(secret: string): Promise<string[]> {
    const { rows: tables } = await this.client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const holding: string[] = [];
    for (const { name } of tables) {
      const { rows } = await this.client.query<{ found: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM "${name}" t WHERE strpos(to_jsonb(t)::text, $1) > 0) AS found`,
        [secret],
      );
      if (rows[0]!.found) holding.push(name);
    }
    return holding;
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

/** How the API stores an agent token for checks (libs/store/src/agent-token.ts). */
export const agentTokenHash = (token: string): string =>
  createHash('sha256').update(token).digest('hex');
