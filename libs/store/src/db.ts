import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.js';
import { trackOutboxCommits } from './outbox.js';

/** The database handle; `$client` is its pool, for the few statements written in SQL. */
export type Db = NodePgDatabase<typeof schema> & { $client: pg.Pool };
/** A transaction handle; repositories accept either a Db or a Tx. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

/** Opens a pooled connection; columns are camelCase in code and snake_case in SQL. */
export function openDatabase(
  url: string,
  opts: { max?: number; applicationName?: string } = {},
): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'ingot',
  });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // Nor a client checked out for a transaction, which the pool stops listening to while it is
  // out: PostgreSQL restarting mid-transaction emitted an 'error' nobody handled, and the
  // service died (found by test/chaos.test.ts). The transaction's query fails with it anyway.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzle({ client: pool, schema, casing: 'snake_case' });
  trackOutboxCommits(db);
  return { db, pool, url, close: () => pool.end() };
}
