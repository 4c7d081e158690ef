import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from './db.js';
import { nodeHistory } from './schema.js';

export type HistoryEntry = typeof nodeHistory.$inferInsert;

export async function appendHistory(tx: DbOrTx, entries: HistoryEntry[]): Promise<void> {
  if (entries.length > 0) await tx.insert(nodeHistory).values(entries);
}

export function nodeHistoryOf(db: DbOrTx, nodeUuid: string) {
  return db
    .select()
    .from(nodeHistory)
    .where(eq(nodeHistory.nodeUuid, nodeUuid))
    .orderBy(asc(nodeHistory.id));
}
