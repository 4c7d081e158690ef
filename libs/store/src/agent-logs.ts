import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { agentLogLines } from './schema.js';

export type AgentLogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface AgentLogLine {
  at: Date;
  level: AgentLogLevel;
  /** Already redacted: this module stores what it is given. */
  message: string;
  boot: string;
}

export interface StoredAgentLogLine extends AgentLogLine {
  id: number;
}

/** How much of a node's agent log is kept: the newest lines within both limits. */
export interface AgentLogBound {
  maxLines: number;
  maxBytes: number;
}

export const DEFAULT_AGENT_LOG_BOUND: AgentLogBound = { maxLines: 5_000, maxBytes: 1024 * 1024 };

/** The advisory lock space of agent log pruning (the key within it is the node's). */
const PRUNE_LOCK_SPACE = 0x1a60_1065;

/**
 * Appends lines to a node's agent log and prunes its oldest lines beyond the bound, in one
 * transaction, so that a reader never sees more than the bound. Two batches of one node (an
 * agent's retry racing its next batch) prune in turn under an advisory lock, which leaves the
 * node's row to the conductors.
 */
export async function appendAgentLog(
  db: Db,
  nodeUuid: string,
  lines: readonly AgentLogLine[],
  bound: AgentLogBound = DEFAULT_AGENT_LOG_BOUND,
): Promise<void> {
  if (lines.length === 0) return;
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${PRUNE_LOCK_SPACE}, hashtext(${nodeUuid}))`);
    await tx.insert(agentLogLines).values(lines.map((line) => ({ nodeUuid, ...line })));
    // Newest first: a line goes once the lines after it (itself included) pass either limit.
    await tx.execute(sql`
      DELETE FROM agent_log_lines WHERE node_uuid = ${nodeUuid} AND id <= (
        SELECT max(id) FROM (
          SELECT id,
                 row_number() OVER (ORDER BY id DESC) AS newer_lines,
                 sum(octet_length(message)) OVER (ORDER BY id DESC) AS newer_bytes
          FROM agent_log_lines WHERE node_uuid = ${nodeUuid}
        ) ranked
        WHERE newer_lines > ${bound.maxLines} OR newer_bytes > ${bound.maxBytes}
      )`);
  });
}

/** A node's agent log lines after `sinceId`, oldest first. */
export async function agentLogOf(
  db: Db,
  nodeUuid: string,
  opts: { sinceId?: number; limit: number },
): Promise<StoredAgentLogLine[]> {
  const rows = await db
    .select({
      id: agentLogLines.id,
      at: agentLogLines.at,
      level: agentLogLines.level,
      message: agentLogLines.message,
      boot: agentLogLines.boot,
    })
    .from(agentLogLines)
    .where(
      and(
        eq(agentLogLines.nodeUuid, nodeUuid),
        opts.sinceId !== undefined ? gt(agentLogLines.id, opts.sinceId) : undefined,
      ),
    )
    .orderBy(asc(agentLogLines.id))
    .limit(opts.limit);
  return rows as StoredAgentLogLine[];
}
