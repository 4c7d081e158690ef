import type { ConductorContext } from '../context.js';
import { deployInterfaceOf } from '../interfaces/deploy.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode } from '../transition-node.js';
import { automatedCleanMode, isManual } from './clean-mode.js';
import { disableSecureBoot } from './secure-boot.js';

export {
  automatedCleanMode,
  REQUESTED_CLEAN_STEPS,
  type AutomatedCleanMode,
} from './clean-mode.js';

/**
 * `cleaning`: unless automated cleaning is disabled (automatedCleanMode), the node's deploy
 * interface cleans it: the agent's steps (metadata: erase_devices_metadata only, Metal3's
 * default; full: every step with a priority; manual: the steps asked for), or nothing for a fake
 * one. Secure boot a deploy left on is turned off first: the server boots the agent next.
 */
export async function runCleaning(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  await disableSecureBoot(ctx, leased, requestId);
  if (
    !isManual(leased) &&
    automatedCleanMode(ctx.config.automatedClean, leased.node) === 'disabled'
  ) {
    // Ironic's log says the same: disabled by the API (the node's field) or by configuration.
    const how =
      leased.node.automatedClean === false
        ? 'for this node (automated_clean is false)'
        : 'by the conductor (INGOT_AUTOMATED_CLEAN=disabled)';
    await transitionNode(ctx, leased, 'done', {
      note: `automated cleaning is disabled ${how}`,
      lastError: null,
      requestId,
    });
    return;
  }
  await deployInterfaceOf(leased.node).clean(ctx, leased, requestId);
}
