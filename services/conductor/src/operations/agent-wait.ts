import { AgentError } from '../agent-client.js';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { continueCleaning } from './agent-clean.js';
import { continueDeploy } from './agent-deploy.js';
import { finalizeRescue } from './agent-rescue.js';
import { continueServicing } from './service.js';
import { isOperationError } from './fail.js';
import { failOrRetryLater } from './retry.js';

/** The states in which the operation moves on the agent's heartbeats. */
const advances = {
  'clean wait': continueCleaning,
  'wait call-back': continueDeploy,
  'service wait': continueServicing,
  'rescue wait': finalizeRescue,
} as const;

/**
 * Moves the operation of a node waiting for its agent one step (in `clean wait` or `wait
 * call-back`; nothing in other states). An agent that cannot be reached now is tried again at its
 * next heartbeat; an answer a person must act on fails the operation with it.
 */
export async function advanceWithAgent(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const state = leased.node.provisionState;
  const advance = state in advances ? advances[state as keyof typeof advances] : undefined;
  if (!advance) return;
  try {
    await advance(ctx, leased, requestId);
  } catch (error) {
    if (error instanceof AgentError && error.retryable) {
      ctx.logger.warn(
        { node: leased.node.uuid, err: error.message },
        'agent unreachable; will retry on its next heartbeat',
      );
      return;
    }
    if (!isOperationError(error)) throw error;
    // Past the wait (the agent finished), booting the instance may meet a BMC out of reach.
    await failOrRetryLater(ctx, leased, error, requestId);
  }
}

/**
 * After a step that booted the agent and now waits for it: the agent may have booted and
 * heartbeated before the node waited (its URL is pinned only by this boot's agent, whose token
 * is new), and the API queues no heartbeat for a node that is not waiting yet. Acting on it now
 * saves a whole heartbeat interval (up to 60 % of the heartbeat timeout).
 */
export const thenHeardAgent =
  (
    runner: (ctx: ConductorContext, leased: LeasedNode, requestId?: string) => Promise<void>,
  ): typeof runner =>
  async (ctx, leased, requestId) => {
    await runner(ctx, leased, requestId);
    if (leased.node.agentUrl && !leased.node.maintenance && leased.node.provisionState in advances)
      await advanceWithAgent(ctx, leased, requestId);
  };
