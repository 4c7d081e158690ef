import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode } from '../transition-node.js';
import { automatedCleanMode, isManual, REQUESTED_CLEAN_STEPS } from './clean-mode.js';
import { bootRamdisk, tearDownRamdisk } from './ramdisk.js';
import {
  advanceSteps,
  agentOf,
  saveProgress,
  stepProgressOf,
  type Step,
  type StepProgress,
} from './steps.js';

/** `cleaning` with the agent: boot it and wait (or, when every step already ran, finish). */
export async function cleanWithAgent(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const progress = stepProgressOf(leased);
  if (progress?.operation === 'clean' && progress.index >= progress.list.length) {
    return finishCleaning(ctx, leased, requestId);
  }
  await bootRamdisk(ctx, leased, 'clean', requestId);
  await transitionNode(ctx, leased, 'wait', {
    note: 'waiting for the agent to clean',
    deadlineInMs: ctx.config.cleanWaitTimeoutMs,
    requestId,
  });
}

/** `clean wait`, on each heartbeat: plan the steps once, then run them one by one. */
export async function continueCleaning(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  let progress = stepProgressOf(leased);
  if (progress?.operation !== 'clean') {
    progress = await planCleaning(ctx, leased);
    await saveProgress(ctx, leased, progress);
  }
  const outcome = await advanceSteps(ctx, leased, progress, {
    execute: 'clean.execute_clean_step',
    deadlineInMs: ctx.config.cleanWaitTimeoutMs,
    requestId,
    params: async (step, p) => ({
      step,
      node: {
        uuid: leased.node.uuid,
        properties: leased.node.properties,
        driver_internal_info: {},
      },
      ports: [],
      clean_version: p.version,
    }),
  });
  if (outcome === 'complete') {
    await transitionNode(ctx, leased, 'resume', { note: 'every clean step finished', requestId });
    await finishCleaning(ctx, leased, requestId);
  }
}

async function planCleaning(ctx: ConductorContext, leased: LeasedNode): Promise<StepProgress> {
  const reply = await agentOf(ctx, leased).run(
    'clean.get_clean_steps',
    { node: { uuid: leased.node.uuid }, ports: [] },
    true,
  );
  const result = (reply.command_result ?? {}) as {
    clean_steps?: Record<string, Step[]>;
    hardware_manager_version?: unknown;
  };
  const offered = Object.values(result.clean_steps ?? {}).flat();
  const requested = (leased.node.driverInternalInfo as Record<string, unknown>)[
    REQUESTED_CLEAN_STEPS
  ] as Step[] | undefined;
  let list: Step[];
  if (isManual(leased)) {
    list = requested ?? [];
  } else if (automatedCleanMode(ctx.config.automatedClean, leased.node) === 'metadata') {
    list = offered.filter((s) => s.step === 'erase_devices_metadata');
  } else {
    list = offered
      .filter((s) => (s.priority ?? 0) > 0)
      .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0));
  }
  return { operation: 'clean', list, index: 0, version: result.hardware_manager_version };
}

async function finishCleaning(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  await tearDownRamdisk(ctx, leased, { powerOff: true, requestId });
  const { [REQUESTED_CLEAN_STEPS]: _requested, ...internal } = leased.node
    .driverInternalInfo as Record<string, unknown>;
  await transitionNode(ctx, leased, 'done', {
    note: 'cleaning finished',
    lastError: null,
    requestId,
    set: { driverInternalInfo: internal },
  });
}
