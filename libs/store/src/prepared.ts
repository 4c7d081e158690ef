import type { DbOrTx } from './db.js';

const byHandle = new WeakMap<DbOrTx, Map<string, unknown>>();

/**
 * A hot query of fixed shape, built once per database handle as a named prepared statement:
 * drizzle then only binds its parameters instead of building the query again (its query builder
 * was a fifth of the API's CPU on GETs), and PostgreSQL plans it once per connection. `name` is
 * the statement's name in PostgreSQL, so one name must always mean one query text.
 */
export function prepared<T>(db: DbOrTx, name: string, build: (db: DbOrTx, name: string) => T): T {
  let statements = byHandle.get(db);
  if (!statements) byHandle.set(db, (statements = new Map()));
  let statement = statements.get(name) as T | undefined;
  if (statement === undefined) statements.set(name, (statement = build(db, name)));
  return statement;
}
