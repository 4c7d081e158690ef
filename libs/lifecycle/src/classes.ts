import type { ProvisionState } from '@ingot/contracts';
import { findTransition } from './table.js';

/** States that do not change unless someone asks (Ironic's STABLE_STATES). */
export const STABLE_STATES: readonly ProvisionState[] = [
  'enroll',
  'manageable',
  'available',
  'active',
  'error',
  'rescue',
];

/** States that wait for a callback from the agent (or a timeout); resumable after a crash. */
export const WAIT_STATES: readonly ProvisionState[] = [
  'inspect wait',
  'clean wait',
  'wait call-back',
  'rescue wait',
  'service wait',
];

/** States where a step asked to pause until an operator sends `unhold` (or `abort`). */
export const HOLD_STATES: readonly ProvisionState[] = ['deploy hold', 'clean hold', 'service hold'];

/**
 * Ironic's FAILURE_STATES: an operation failed and waits for the operator.
 * `error` (a failed tear-down) is not among them: Ironic counts it as stable.
 */
export const FAILED_STATES: readonly ProvisionState[] = [
  'deploy failed',
  'clean failed',
  'inspect failed',
  'rescue failed',
  'unrescue failed',
  'adopt failed',
  'service failed',
];

const stable: ReadonlySet<ProvisionState> = new Set(STABLE_STATES);
const waiting: ReadonlySet<ProvisionState> = new Set(WAIT_STATES);
const holding: ReadonlySet<ProvisionState> = new Set(HOLD_STATES);
const failed: ReadonlySet<ProvisionState> = new Set(FAILED_STATES);

export const isStable = (state: ProvisionState): boolean => stable.has(state);
export const isWaitState = (state: ProvisionState): boolean => waiting.has(state);
export const isHoldState = (state: ProvisionState): boolean => holding.has(state);
export const isFailedState = (state: ProvisionState): boolean => failed.has(state);

/**
 * The state a node in `state` goes to on `fail` (e.g. verifying -> enroll,
 * clean wait -> clean failed, deleting -> error), or null where `fail` is not an event of
 * that state: stable and failed states, and the hold states, which Ironic leaves only by
 * `unhold` or `abort` (service hold is the exception: it fails to service failed).
 */
export function failedStateFor(state: ProvisionState): ProvisionState | null {
  return findTransition(state, 'fail')?.to ?? null;
}
