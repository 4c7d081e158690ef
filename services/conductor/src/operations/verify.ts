import { transition } from '@ingot/lifecycle';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { provisionTransition, writeNode } from '../node-writer.js';
import { BmcCallError } from '../bmc-caller.js';
import { stepsInterfacesOf } from '../interfaces/steps.js';

/**
 * The `verifying` step: the power worker reaches the BMC, the credentials work and the power state
 * is read. Success makes the node manageable; any failure sends it back to enroll with the reason.
 * Re-running it is harmless (it only reads), so a conductor that takes the node over runs it again.
 */
export async function runVerify(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const node = leased.node;
  try {
    const reply = await ctx.bmc.call(node, 'bmc.verify', {}, requestId);
    await cacheWhatTheApiShows(ctx, leased, requestId);
    const done = transition('verifying', 'done', { currentTarget: node.targetProvisionState });
    if (!done.ok) throw new Error(done.reason);
    const change = provisionTransition(ctx.bus.subjects, node, {
      to: done.to,
      target: done.target,
      event: 'BMC verified',
      lastError: null,
      requestId,
    });
    change.set.powerState = reply.power_state ?? node.powerState;
    await writeNode(ctx.db, leased, requestId, change);
  } catch (error) {
    if (!(error instanceof BmcCallError)) throw error;
    const failed = transition('verifying', 'fail', { currentTarget: node.targetProvisionState });
    if (!failed.ok) throw new Error(failed.reason);
    await writeNode(
      ctx.db,
      leased,
      requestId,
      provisionTransition(ctx.bus.subjects, node, {
        to: failed.to,
        target: failed.target,
        event: 'BMC verification failed',
        lastError: `Failed to verify the BMC of node ${node.name ?? node.uuid}: ${error.message}`,
        requestId,
      }),
    );
  }
}

/**
 * Ironic's cache_bios_settings (and firmware components) on verify: what the node's step
 * interfaces show through the API, as its BMC reports it. A BMC that cannot say does not stop the
 * node from being managed; each cache is read again after the steps that change it.
 */
async function cacheWhatTheApiShows(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  for (const impl of stepsInterfacesOf(leased.node)) {
    try {
      await impl.cache?.(ctx, leased, requestId);
    } catch (error) {
      if (!(error instanceof BmcCallError)) throw error;
      const level = error.kind === 'unsupported' ? 'info' : 'warn';
      ctx.logger[level](
        { node: leased.node.uuid, interface: impl.name, err: error.message },
        'could not read what the BMC reports for the API; the node is managed without it',
      );
    }
  }
}
