import type { ProvisionState } from '@ingot/contracts';
import { isStable } from './classes.js';
import type { TransitionRow } from './table.js';

/**
 * The targets a non-stable state may carry as `target_provision_state`, default first
 * (the `target=` of each `add_state` in Ironic's state_machine.py). The clean states also
 * accept `manageable`: Ironic's conductor passes it explicitly through manual cleaning.
 */
const TARGETS: Readonly<Partial<Record<ProvisionState, readonly ProvisionState[]>>> = {
  verifying: ['manageable'],
  deploying: ['active'],
  'wait call-back': ['active'],
  'deploy hold': ['active'],
  'deploy failed': ['active'],
  cleaning: ['available', 'manageable'],
  'clean wait': ['available', 'manageable'],
  'clean hold': ['available', 'manageable'],
  'clean failed': ['available', 'manageable'],
  deleting: ['available'],
  inspecting: ['manageable'],
  'inspect wait': ['manageable'],
  'inspect failed': ['manageable'],
  adopting: ['active'],
  'adopt failed': ['active'],
  rescuing: ['rescue'],
  'rescue wait': ['rescue'],
  'rescue failed': ['rescue'],
  unrescuing: ['active'],
  'unrescue failed': ['active'],
  servicing: ['active'],
  'service wait': ['active'],
  'service hold': ['active'],
  'service failed': ['active'],
};

/** Events that carry on an operation already under way, so they keep its target. */
const CONTINUING: ReadonlySet<string> = new Set([
  'done',
  'fail',
  'wait',
  'resume',
  'hold',
  'unhold',
  'abort',
]);

/** The target a node in `state` carries when nothing says otherwise; null for stable states. */
export function defaultTarget(state: ProvisionState): ProvisionState | null {
  return TARGETS[state]?.[0] ?? null;
}

/**
 * The `target_provision_state` a node carries after taking `row`, as Ironic's task manager
 * computes it: null on reaching a stable state; otherwise the target of the operation.
 * An edge that starts an operation sets it (the row's own target, else the default of the
 * new state); an edge that continues one (done/fail/wait/resume/hold/unhold/abort) keeps
 * `currentTarget` when the new state accepts it, so manual cleaning stays aimed at
 * `manageable` through clean wait, clean hold and clean failed.
 * Failed states keep the target of what failed (deploy failed -> active), as in Ironic.
 */
export function targetAfter(
  row: TransitionRow,
  to: ProvisionState,
  currentTarget: ProvisionState | null | undefined,
): ProvisionState | null {
  if (isStable(to)) return null;
  const accepted = TARGETS[to] ?? [];
  if (row.target !== undefined) return row.target;
  if (CONTINUING.has(row.event) && currentTarget && accepted.includes(currentTarget)) {
    return currentTarget;
  }
  return accepted[0] ?? null;
}
