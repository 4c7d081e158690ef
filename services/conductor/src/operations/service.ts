import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode } from '../transition-node.js';
import { StepError } from './fail.js';
import { bootInstance } from './instance-boot.js';
import { bootRamdisk } from './ramdisk.js';
import { disableSecureBoot } from './secure-boot.js';
import { advanceSteps, saveProgress, stepProgressOf, type Step } from './steps.js';

/** Steps a servicing asked for, kept until the agent is up (Ironic's service_steps argument). */
export const REQUESTED_SERVICE_STEPS = 'service_steps_requested';

const requestedSteps = (leased: LeasedNode): Step[] | undefined =>
  (leased.node.driverInternalInfo as Record<string, unknown>)[REQUESTED_SERVICE_STEPS] as
    Step[] | undefined;

/**
 * `servicing` (Ironic 1.87): an active node runs the service steps asked for (BIOS settings,
 * firmware, RAID on a deployed server), its disk kept. As Ironic's, the agent ramdisk is booted
 * for them (secure boot off meanwhile), the steps run at its heartbeats, and the instance is booted
 * again at the end. When every step already ran (a conductor died at the very end), it finishes.
 */
export async function runServicing(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const progress = stepProgressOf(leased);
  if (progress?.operation === 'service' && progress.index >= progress.list.length)
    return finishServicing(ctx, leased, requestId);
  await disableSecureBoot(ctx, leased, requestId);
  await bootRamdisk(ctx, leased, 'service', requestId);
  await transitionNode(ctx, leased, 'wait', {
    note: 'waiting for the agent to service',
    deadlineInMs: ctx.config.cleanWaitTimeoutMs,
    requestId,
  });
}

/** `service wait`, on each heartbeat: the requested steps one by one, then the instance again. */
export async function continueServicing(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  let progress = stepProgressOf(leased);
  if (progress?.operation !== 'service') {
    const list = requestedSteps(leased);
    if (!list || list.length === 0) throw new StepError('servicing was asked for without steps');
    progress = { operation: 'service', list, index: 0 };
    await saveProgress(ctx, leased, progress);
  }
  const outcome = await advanceSteps(ctx, leased, progress, {
    // IPA's service extension.
    execute: 'service.execute_service_step',
    deadlineInMs: ctx.config.cleanWaitTimeoutMs,
    requestId,
    params: async (step, p) => ({
      step,
      node: { uuid: leased.node.uuid, properties: leased.node.properties },
      ports: [],
      service_version: p.version,
    }),
  });
  if (outcome === 'complete') {
    await transitionNode(ctx, leased, 'resume', { note: 'every service step finished', requestId });
    await finishServicing(ctx, leased, requestId);
  }
}

/** The instance boots again: ramdisk gone, disk as boot device, secure boot as deployed, power on. */
async function finishServicing(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const powerState = await bootInstance(ctx, leased, requestId);
  const { [REQUESTED_SERVICE_STEPS]: _requested, ...internal } = leased.node
    .driverInternalInfo as Record<string, unknown>;
  await transitionNode(ctx, leased, 'done', {
    note: 'servicing finished; booting from disk',
    lastError: null,
    requestId,
    set: { powerState, driverInternalInfo: internal },
  });
}

/**
 * `abort` of a node in `service failed` (Ironic's servicing abort): back to `active` with its
 * instance booted again, the failure kept in last_error.
 */
export async function abortServicing(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const powerState = await bootInstance(ctx, leased, requestId);
  await transitionNode(ctx, leased, 'abort', {
    note: 'servicing aborted; booting from disk',
    requestId,
    set: { powerState },
  });
}
