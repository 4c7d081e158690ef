import type { PowerCommand } from '@ingot/contracts';
import { BmcCallError } from '../bmc-caller.js';
import { CONDUCTOR_INBOX, type ConductorContext } from '../context.js';
import { powerChange, writeNode } from '../node-writer.js';

/** A power change requested through the API, carried out by the site's power workers. */
export async function handlePowerCommand(ctx: ConductorContext, cmd: PowerCommand): Promise<void> {
  const { target, timeout_s } = cmd.payload;
  await ctx.leases.withNodeLease(
    cmd.node_uuid,
    `power ${target}`,
    async (leased) => {
      if (leased.handled) return;
      const node = leased.node;
      const handled = { consumer: CONDUCTOR_INBOX, messageId: cmd.id };
      const waitMs = Math.max(ctx.config.bmcReplyTimeoutMs, (timeout_s ?? 0) * 1000 + 10_000);
      try {
        const reply = await ctx.bmc.call(
          node,
          'bmc.set_power',
          { target, timeout_s },
          cmd.request_id,
          waitMs,
        );
        const change = powerChange(ctx.bus.subjects, node, {
          to: reply.power_state ?? null,
          lastError: null,
          event: `power state set to '${target}'`,
          requestId: cmd.request_id,
        });
        await writeNode(ctx.db, leased, cmd.request_id, { ...change, handled });
      } catch (error) {
        if (!(error instanceof BmcCallError)) throw error;
        const change = powerChange(ctx.bus.subjects, node, {
          to: null,
          lastError: `Failed to set power state of node ${node.name ?? node.uuid} to '${target}': ${error.message}`,
          event: `power '${target}' failed`,
          requestId: cmd.request_id,
        });
        await writeNode(ctx.db, leased, cmd.request_id, { ...change, handled });
      }
    },
    { messageId: cmd.id },
  );
}
