import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateDatabase } from './migrate.js';

/**
 * A fresh, migrated database for one test (or one lab run), so tests never see each other's
 * rows. The server comes from DATABASE_URL (default: local PostgreSQL).
 */
export async function createScratchDatabase(
  prefix = 'ingot_t',
  baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new URL(baseUrl);
  admin.pathname = '/postgres';
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  await withClient(admin.toString(), (c) => c.query(`CREATE DATABASE "${name}"`));
  await migrateDatabase(url.toString());
  return {
    url: url.toString(),
    name,
    drop: async () => {
      await withClient(admin.toString(), (c) =>
        c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      );
    },
  };
}

/** Drops the scratch database at `url` (one createScratchDatabase made), connections and all. */
export async function dropScratchDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1).replace(/"/g, '');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  await withClient(admin.toString(), (c) =>
    c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  );
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
