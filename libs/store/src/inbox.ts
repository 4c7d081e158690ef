import { lt, sql } from 'drizzle-orm';
import type { DbOrTx } from './db.js';
import { prepared } from './prepared.js';
import { handledMessages } from './schema.js';

/**
 * Records that `consumer` acted on message `messageId`, in the caller's transaction. Returns
 * false when it already had: the caller then skips the work (exactly-once effect per id).
 */
export async function markHandled(
  tx: DbOrTx,
  consumer: string,
  messageId: string,
): Promise<boolean> {
  const rows = await prepared(tx, 'mark_handled', (db, name) =>
    db
      .insert(handledMessages)
      .values({ consumer: sql.placeholder('consumer'), messageId: sql.placeholder('id') })
      .onConflictDoNothing()
      .returning({ id: handledMessages.messageId })
      .prepare(name),
  ).execute({ consumer, id: messageId });
  return rows.length === 1;
}

export async function forgetHandledBefore(db: DbOrTx, cutoff: Date): Promise<void> {
  await db.delete(handledMessages).where(lt(handledMessages.handledAt, cutoff));
}
