import { and, eq, lt } from 'drizzle-orm';
import type { DbOrTx } from './db.js';
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
  const rows = await tx
    .insert(handledMessages)
    .values({ consumer, messageId })
    .onConflictDoNothing()
    .returning({ id: handledMessages.messageId });
  return rows.length === 1;
}

export async function forgetHandledBefore(db: DbOrTx, cutoff: Date): Promise<void> {
  await db.delete(handledMessages).where(lt(handledMessages.handledAt, cutoff));
}

export async function isHandled(db: DbOrTx, consumer: string, messageId: string): Promise<boolean> {
  const rows = await db
    .select({ id: handledMessages.messageId })
    .from(handledMessages)
    .where(and(eq(handledMessages.consumer, consumer), eq(handledMessages.messageId, messageId)))
    .limit(1);
  return rows.length === 1;
}
