import { isFailedState, STUCK_STATES_TREATED_AS_FAIL } from '@ingot/lifecycle';
import { LeaseLostError, type NodeRow } from '@ingot/store';
import { BmcCallError } from '../bmc-caller.js';
import type { ConductorContext } from '../context.js';
import { ImageCallError } from '../image-caller.js';
import type { LeasedNode } from '../node-lease.js';
import { updateNode } from '../transition-node.js';
import { failOperation } from './fail.js';

/** driver_internal_info key of the transient failures of the step now running. */
export const STEP_RETRY = 'step_retry';

/** The longest pause between two tries of a step. */
const MAX_RETRY_DELAY_MS = 60_000;

interface StepRetry {
  /** The in-progress state whose step failed. */
  state: string;
  /** When it first failed (ISO 8601): the window of retries starts there. */
  since: string;
  /** How many times it failed so far. */
  failures: number;
}

function stepRetryOf(node: Pick<NodeRow, 'driverInternalInfo' | 'provisionState'>) {
  const retry = (node.driverInternalInfo as Record<string, unknown>)[STEP_RETRY] as
    Partial<StepRetry> | undefined;
  if (
    retry?.state !== node.provisionState ||
    typeof retry.failures !== 'number' ||
    typeof retry.since !== 'string' ||
    Number.isNaN(Date.parse(retry.since))
  )
    return undefined;
  return retry as StepRetry;
}

export const withoutStepRetry = (info: Record<string, unknown>): Record<string, unknown> => {
  const { [STEP_RETRY]: _retry, ...rest } = info;
  return rest;
};

/**
 * A BMC, power worker or image cache that could not be reached: BMCs drop connections and restart
 * their web servers, services restart. Anything that answered (a refusal, a bad image) is not.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof BmcCallError)
    return error.kind === 'unreachable' || error.kind === 'timeout';
  if (error instanceof ImageCallError) return error.kind === 'timeout';
  return false;
}

const seconds = (ms: number) => Math.round(ms / 1000);

/**
 * A step of a leased node failed with `error`, a message for last_error. A transient failure in an
 * in-progress state is not the end: the step runs again later (first after
 * INGOT_TRANSIENT_RETRY_DELAY_MS, each pause twice the previous, at most a minute) until
 * INGOT_TRANSIENT_RETRY_WINDOW_S have passed since its first failure. Nothing waits meanwhile: the
 * node keeps its state, records the failure in its history and the time of the next try in
 * wake_at, and the lease goes back; a sweep of any conductor of the site runs the step then. Any
 * other failure, or the last one, fails the operation.
 */
export async function failOrRetryLater(
  ctx: ConductorContext,
  leased: LeasedNode,
  error: Error,
  requestId?: string,
): Promise<void> {
  const node = leased.node;
  const state = node.provisionState;
  const previous = stepRetryOf(node);
  const now = Date.now();
  const { windowMs, firstDelayMs } = ctx.config.transientRetry;
  const since = previous ? Date.parse(previous.since) : now;
  const failures = (previous?.failures ?? 0) + 1;
  const giveUpAt = since + windowMs;
  if (isTransient(error) && STUCK_STATES_TREATED_AS_FAIL.has(state) && now < giveUpAt) {
    const delay = Math.min(firstDelayMs * 2 ** (failures - 1), MAX_RETRY_DELAY_MS);
    const at = new Date(Math.min(now + delay, giveUpAt));
    const retry: StepRetry = { state, since: new Date(since).toISOString(), failures };
    await updateNode(
      ctx,
      leased,
      {
        driverInternalInfo: { ...node.driverInternalInfo, [STEP_RETRY]: retry },
        wakeAt: at,
      },
      {
        eventType: 'provisioning',
        severity: 'WARNING',
        event: `'${state}' failed on something that may be back soon (${error.message}); trying again at ${at.toISOString()} (failure ${failures}; retried until ${new Date(giveUpAt).toISOString()})`,
      },
      requestId,
    );
    ctx.logger.warn(
      { node: node.uuid, state, err: error.message, retry_at: at.toISOString(), failures },
      'step failed on a transient error; retrying later',
    );
    return;
  }
  const message =
    previous && isTransient(error)
      ? `${error.message} (still failing after ${failures} tries over ${seconds(now - since)} s; such failures are retried for ${seconds(windowMs)} s)`
      : error.message;
  await failOperation(ctx, leased, message, { requestId });
}

/** The step ran through: a retry record it left behind goes, with a line saying it recovered. */
export async function stepWentThrough(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const info = leased.node.driverInternalInfo as Record<string, unknown>;
  if (!(STEP_RETRY in info)) return;
  const retry = (info[STEP_RETRY] ?? {}) as Partial<StepRetry>;
  try {
    await updateNode(
      ctx,
      leased,
      { driverInternalInfo: withoutStepRetry(info) },
      retry.state &&
        typeof retry.failures === 'number' &&
        !isFailedState(leased.node.provisionState)
        ? {
            eventType: 'provisioning',
            event: `'${retry.state}' went through after ${retry.failures} transient ${retry.failures === 1 ? 'failure' : 'failures'}`,
          }
        : undefined,
      requestId,
    );
  } catch (error) {
    // Taken over meanwhile: the record is the new owner's business.
    if (!(error instanceof LeaseLostError)) throw error;
  }
}
