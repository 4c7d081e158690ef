import { operationOf } from '@ingot/lifecycle';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode } from '../transition-node.js';
import { tearDownRamdisk } from './ramdisk.js';
import { withoutRescuePassword } from './rescue-password.js';

/**
 * Ends an operation in its failed state with a readable last_error. The ramdisk is torn down first
 * (power off, eject, token wiped) on a best-effort basis: a failure there is added to the message.
 */
export async function failOperation(
  ctx: ConductorContext,
  leased: LeasedNode,
  message: string,
  opts: { requestId?: string; tearDown?: boolean; event?: 'fail' | 'abort' } = {},
): Promise<void> {
  let lastError = message;
  if (opts.tearDown ?? true) {
    try {
      await tearDownRamdisk(ctx, leased, { powerOff: true, requestId: opts.requestId });
    } catch (error) {
      lastError = `${message} (and tearing down the ramdisk failed: ${error instanceof Error ? error.message : String(error)})`;
    }
  }
  // As Ironic's rescuing_error_handler: a rescue that failed or was aborted keeps no password.
  const rescuing = operationOf(leased.node.provisionState) === 'rescue';
  await transitionNode(ctx, leased, opts.event ?? 'fail', {
    note: opts.event === 'abort' ? 'aborted' : 'failed',
    lastError,
    requestId: opts.requestId,
    ...(rescuing ? { set: { instanceInfo: withoutRescuePassword(leased.node.instanceInfo) } } : {}),
  });
}

/** Errors of the BMC, image cache or agent whose message is meant for last_error. */
export function isOperationError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    ['BmcCallError', 'ImageCallError', 'AgentError', 'StepError'].includes(error.name)
  );
}

/** A step cannot go on: bad input, or the agent reported a failure. */
export class StepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepError';
  }
}
