import type { ProvisionCommand } from '@ingot/contracts';
import { conductorCanCarryOut, transition, verbToEvent } from '@ingot/lifecycle';
import { markHandled } from '@ingot/store';
import { CONDUCTOR_INBOX, type ConductorContext } from '../context.js';
import { provisionTransition, writeNode } from '../node-writer.js';
import { REQUESTED_CLEAN_STEPS } from '../operations/clean.js';
import { failOperation } from '../operations/fail.js';
import { abortServicing, REQUESTED_SERVICE_STEPS } from '../operations/service.js';
import { REQUESTED_DEPLOY_STEPS } from '../operations/deploy-steps.js';
import { OPERATIONS } from '../operations/index.js';
import { RAMDISK_BOOT } from '../operations/ramdisk-boot.js';
import { IMAGE_WAIT } from '../operations/image-wait.js';
import { STEP_RETRY } from '../operations/retry.js';

/**
 * A provision verb accepted by the API. Redelivery-safe: a node already in the operation's
 * in-progress state has its step resumed; a verb already applied is not applied again.
 */
export async function handleProvisionCommand(
  ctx: ConductorContext,
  cmd: ProvisionCommand,
): Promise<void> {
  const { verb } = cmd.payload;
  await ctx.leases.withNodeLease(
    cmd.node_uuid,
    `provision ${verb}`,
    async (leased) => {
      const node = leased.node;
      const inProgress = OPERATIONS[node.provisionState];
      if (inProgress && verb !== 'abort') return inProgress(ctx, leased, cmd.request_id);
      if (leased.handled) return;

      const handled = { consumer: CONDUCTOR_INBOX, messageId: cmd.id };
      const event = verbToEvent(verb);
      const result = transition(node.provisionState, event, {
        currentTarget: node.targetProvisionState,
      });
      if (result.ok && event === 'abort') {
        await markHandled(ctx.db, CONDUCTOR_INBOX, cmd.id);
        // A failed servicing is aborted back to its instance, booted again.
        if (node.provisionState === 'service failed')
          return abortServicing(ctx, leased, cmd.request_id);
        await failOperation(ctx, leased, `Aborted on request while '${node.provisionState}'`, {
          event: 'abort',
          requestId: cmd.request_id,
        });
        return;
      }
      const runner = result.ok ? OPERATIONS[result.to] : undefined;
      if (!result.ok || !conductorCanCarryOut(result)) {
        // The node changed since the API accepted the verb, or the operation is not built yet.
        const reason = result.ok
          ? `Ingot cannot run '${verb}' yet: the '${result.to}' step is not implemented`
          : result.reason;
        await writeNode(ctx.db, leased, cmd.request_id, {
          set: { targetProvisionState: null, lastError: reason },
          history: [
            { eventType: 'provisioning', severity: 'ERROR', event: `'${verb}' refused: ${reason}` },
          ],
          handled,
        });
        return;
      }
      // A new operation starts from a clean slate: no steps, ramdisk boots or retries left over
      // from an earlier one.
      const {
        steps: _steps,
        [REQUESTED_CLEAN_STEPS]: _requested,
        [REQUESTED_SERVICE_STEPS]: _service,
        [REQUESTED_DEPLOY_STEPS]: _deploy,
        [RAMDISK_BOOT]: _boot,
        [STEP_RETRY]: _retry,
        [IMAGE_WAIT]: _imageWait,
        ...internal
      } = node.driverInternalInfo as Record<string, unknown>;
      const change = provisionTransition(ctx.bus.subjects, node, {
        to: result.to,
        target: result.target,
        event: `'${verb}' requested`,
        lastError: null,
        requestId: cmd.request_id,
      });
      change.set.driverInternalInfo = {
        ...internal,
        ...(cmd.payload.clean_steps ? { [REQUESTED_CLEAN_STEPS]: cmd.payload.clean_steps } : {}),
        ...(cmd.payload.service_steps
          ? { [REQUESTED_SERVICE_STEPS]: cmd.payload.service_steps }
          : {}),
        ...(cmd.payload.deploy_steps ? { [REQUESTED_DEPLOY_STEPS]: cmd.payload.deploy_steps } : {}),
      };
      await writeNode(ctx.db, leased, cmd.request_id, { ...change, handled });
      if (runner) await runner(ctx, leased, cmd.request_id);
    },
    { messageId: cmd.id },
  );
}
