import type { ConductorContext } from '../context.js';
import { rescueInterfaceOf } from '../interfaces/rescue.js';
import type { LeasedNode } from '../node-lease.js';

/**
 * Rescue (Ironic API 1.38): an active node boots a ramdisk its owner logs in to as the `rescue`
 * user with the password they gave, to repair an instance that no longer boots; unrescue boots the
 * instance again. The disk is left as it is either way.
 */

/** `rescuing`: the node's rescue interface boots the rescue environment (or pretends to). */
export async function runRescuing(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  await rescueInterfaceOf(leased.node).rescue(ctx, leased, requestId);
}

/** `unrescuing`: the node's rescue interface brings the instance back. */
export async function runUnrescuing(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  await rescueInterfaceOf(leased.node).unrescue(ctx, leased, requestId);
}
