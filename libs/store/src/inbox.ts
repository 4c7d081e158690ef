import { and, eq, lt, sql } from 'drizzle-orm';
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

/** Whether `consumer` has recorded message `messageId` as handled (see markHandled). */
export async function isHandled(db: DbOrTx, consumer: string, messageId: string): Promise<boolean> {
  const rows = await prepared(db, 'is_handled', (d, name) =>
    d
      .select({ id: handledMessages.messageId })
      .from(handledMessages)
      .where(
        and(
          eq(handledMessages.consumer, sql.placeholder('consumer')),
          eq(handledMessages.messageId, sql.placeholder('id')),
        ),
      )
      .prepare(name),
  ).execute({ consumer, id: messageId });
  return rows.length > 0;
}

/** Forgets what `consumer` handled before `cutoff`: no redelivery can be that old any more. */
export async function forgetHandledBefore(
  db: DbOrTx,
  consumer: string,
  cutoff: Date,
): Promise<number> {
  const result = await db
    .delete(handledMessages)
    .where(and(eq(handledMessages.consumer, consumer), lt(handledMessages.handledAt, cutoff)));
  return result.rowCount ?? 0;
}
