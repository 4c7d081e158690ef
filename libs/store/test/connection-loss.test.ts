import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, openDatabase, type Database } from '../src/index.js';

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let database: Database;

beforeAll(async () => {
  scratch = await createScratchDatabase();
  database = openDatabase(scratch.url, { max: 2 });
});
afterAll(async () => {
  await database?.close();
  await scratch?.drop();
});

describe('a connection lost mid-transaction', () => {
  it('fails the transaction; the process lives on and the pool serves the next query', async () => {
    const killer = new pg.Client({ connectionString: scratch.url });
    await killer.connect();
    const unhandled: unknown[] = [];
    const record = (error: unknown) => unhandled.push(error);
    process.on('uncaughtException', record);
    try {
      await expect(
        database.db.transaction(async (tx) => {
          const { rows } = await tx.execute<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`);
          // As PostgreSQL restarting does to every backend.
          await killer.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
          await tx.execute(sql`SELECT 1`);
        }),
      ).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(unhandled).toEqual([]);
      const { rows } = await database.pool.query('SELECT 1 AS one');
      expect(rows[0].one).toBe(1);
    } finally {
      process.off('uncaughtException', record);
      await killer.end();
    }
  });
});
