import { bootRamdisk } from '../operations/ramdisk.js';
import { transitionNode } from '../transition-node.js';
import type { InspectInterface } from './types.js';

/**
 * agent: the agent ramdisk boots with the inspection callback and posts its inventory, which the
 * inspector turns into properties and ports (then operations/inspect.ts finishInspection).
 */
export const agentInspect: InspectInterface = {
  name: 'agent',
  async inspect(ctx, leased, requestId) {
    await bootRamdisk(ctx, leased, 'inspect', requestId);
    await transitionNode(ctx, leased, 'wait', {
      note: 'waiting for the agent to report the inventory',
      deadlineInMs: ctx.config.inspectWaitTimeoutMs,
      requestId,
    });
  },
};
