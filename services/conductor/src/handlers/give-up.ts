import { eq, inArray, sql } from 'drizzle-orm';
import { STABLE_STATES } from '@ingot/lifecycle';
import type { ConductorCommand } from '@ingot/contracts';
import { appendHistory, markHandled, nodes } from '@ingot/store';
import { CONDUCTOR_INBOX, type ConductorContext } from '../context.js';

/**
 * A command failed on its last allowed delivery. The node gets a readable last_error and loses the
 * pending target, so a person sees what happened instead of a node waiting forever.
 */
export async function recordGiveUp(
  ctx: ConductorContext,
  cmd: ConductorCommand,
  error: unknown,
  deliveries: number,
): Promise<void> {
  const what = describeCommand(cmd);
  const reason = error instanceof Error ? error.message : String(error);
  const lastError = `Gave up on ${what} after ${deliveries} attempts: ${reason}`;
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(nodes)
      .set({
        lastError,
        updatedAt: new Date(),
        ...(cmd.type === 'node.power'
          ? { targetPowerState: null }
          : isManagement(cmd)
            ? {} // changes no state: only the error is recorded
            : // A verb that never started leaves no target behind; one in progress is resumed by the sweeper.
              {
                targetProvisionState: sql`CASE WHEN ${inArray(nodes.provisionState, [...STABLE_STATES])} THEN NULL ELSE ${nodes.targetProvisionState} END`,
              }),
      })
      .where(eq(nodes.uuid, cmd.node_uuid));
    await appendHistory(tx, [
      {
        nodeUuid: cmd.node_uuid,
        eventType: historyKind(cmd),
        severity: 'ERROR',
        event: lastError,
        requestId: cmd.request_id,
        conductor: ctx.config.id,
      },
    ]);
    await markHandled(tx, CONDUCTOR_INBOX, cmd.id);
  });
}

/** Commands that change a BMC setting, not the node's states. */
const isManagement = (cmd: ConductorCommand): boolean =>
  cmd.type === 'node.boot_device' ||
  cmd.type === 'node.boot_mode' ||
  cmd.type === 'node.secure_boot' ||
  cmd.type === 'node.vmedia';

function historyKind(cmd: ConductorCommand): string {
  if (cmd.type === 'node.power') return 'power';
  if (isManagement(cmd)) return 'management';
  return 'provisioning';
}

function describeCommand(cmd: ConductorCommand): string {
  switch (cmd.type) {
    case 'node.provision':
      return `provision '${cmd.payload.verb}'`;
    case 'node.power':
      return `power '${cmd.payload.target}'`;
    case 'node.boot_device':
      return `boot device '${cmd.payload.device}'`;
    case 'node.boot_mode':
      return `boot mode '${cmd.payload.mode}'`;
    case 'node.secure_boot':
      return `secure boot ${cmd.payload.enabled ? 'on' : 'off'}`;
    case 'node.vmedia':
      return cmd.payload.action === 'attach'
        ? `attach virtual media '${cmd.payload.device}'`
        : `detach virtual media '${cmd.payload.devices.join(', ')}'`;
    case 'node.heartbeat':
      return 'an agent heartbeat';
    case 'node.inspection_result':
      return 'the inspection result';
  }
}
