import type { ProvisionState } from '@ingot/contracts';
import type { LifecycleEvent } from './events.js';

/**
 * One edge of the machine: `from --event--> to`.
 *
 * `internal` marks an edge whose event is an API verb but that only the conductor takes
 * (Ironic's conductor sends `clean` after tear-down and `manage` at the end of manual
 * cleaning while it holds the node); the API must not offer it.
 * `target` overrides the target the node carries after this edge (see `targets.ts`).
 */
export interface TransitionRow {
  readonly from: ProvisionState;
  readonly event: LifecycleEvent;
  readonly to: ProvisionState;
  readonly internal?: true;
  readonly target?: ProvisionState;
}

const row = (
  from: ProvisionState,
  event: LifecycleEvent,
  to: ProvisionState,
  extra: Pick<TransitionRow, 'internal' | 'target'> = {},
): TransitionRow => ({ from, event, to, ...extra });

/**
 * Every transition of Ironic's provision state machine (ironic/common/state_machine.py,
 * 2025/2026 upstream, including `wait call-back -abort-> deploy failed`), nothing more.
 */
export const TRANSITIONS: readonly TransitionRow[] = [
  // Enrollment: verify the BMC credentials.
  row('enroll', 'manage', 'verifying'),
  row('verifying', 'done', 'manageable'),
  row('verifying', 'fail', 'enroll'),

  // Manageable: the hub of operator actions.
  row('manageable', 'provide', 'cleaning'),
  row('manageable', 'clean', 'cleaning', { target: 'manageable' }),
  row('manageable', 'inspect', 'inspecting'),
  row('manageable', 'adopt', 'adopting'),

  // Available.
  row('available', 'deploy', 'deploying'),
  row('available', 'manage', 'manageable'),

  // Deploy.
  row('deploying', 'wait', 'wait call-back'),
  row('deploying', 'hold', 'deploy hold'),
  row('deploying', 'done', 'active'),
  row('deploying', 'fail', 'deploy failed'),
  row('wait call-back', 'resume', 'deploying'),
  row('wait call-back', 'hold', 'deploy hold'),
  row('wait call-back', 'fail', 'deploy failed'),
  row('wait call-back', 'abort', 'deploy failed'),
  row('wait call-back', 'delete', 'deleting'),
  row('deploy hold', 'unhold', 'wait call-back'),
  row('deploy hold', 'abort', 'deploy failed'),
  row('deploy failed', 'rebuild', 'deploying'),
  row('deploy failed', 'deploy', 'deploying'),
  row('deploy failed', 'delete', 'deleting'),

  // Active.
  row('active', 'rebuild', 'deploying'),
  row('active', 'delete', 'deleting'),
  row('active', 'rescue', 'rescuing'),
  row('active', 'service', 'servicing'),

  // Tear down, then automated cleaning.
  row('deleting', 'clean', 'cleaning', { internal: true, target: 'available' }),
  row('deleting', 'fail', 'error'),
  row('error', 'rebuild', 'deploying'),
  row('error', 'delete', 'deleting'),

  // Clean (automated: target available; manual: target manageable).
  row('cleaning', 'wait', 'clean wait'),
  row('cleaning', 'hold', 'clean hold'),
  row('cleaning', 'done', 'available'),
  row('cleaning', 'manage', 'manageable', { internal: true }),
  row('cleaning', 'fail', 'clean failed'),
  row('clean wait', 'resume', 'cleaning'),
  row('clean wait', 'hold', 'clean hold'),
  row('clean wait', 'fail', 'clean failed'),
  row('clean wait', 'abort', 'clean failed'),
  row('clean hold', 'unhold', 'clean wait'),
  row('clean hold', 'abort', 'clean failed'),
  row('clean failed', 'manage', 'manageable'),

  // Inspect.
  row('inspecting', 'wait', 'inspect wait'),
  row('inspecting', 'done', 'manageable'),
  row('inspecting', 'fail', 'inspect failed'),
  row('inspect wait', 'resume', 'inspecting'),
  row('inspect wait', 'done', 'manageable'),
  row('inspect wait', 'fail', 'inspect failed'),
  row('inspect wait', 'abort', 'inspect failed'),
  row('inspect failed', 'manage', 'manageable'),
  row('inspect failed', 'inspect', 'inspecting'),

  // Rescue.
  row('rescuing', 'wait', 'rescue wait'),
  row('rescuing', 'done', 'rescue'),
  row('rescuing', 'fail', 'rescue failed'),
  row('rescue wait', 'resume', 'rescuing'),
  row('rescue wait', 'fail', 'rescue failed'),
  row('rescue wait', 'abort', 'rescue failed'),
  row('rescue wait', 'delete', 'deleting'),
  row('rescue', 'rescue', 'rescuing'),
  row('rescue', 'unrescue', 'unrescuing'),
  row('rescue', 'delete', 'deleting'),
  row('rescue failed', 'rescue', 'rescuing'),
  row('rescue failed', 'unrescue', 'unrescuing'),
  row('rescue failed', 'delete', 'deleting'),
  row('unrescuing', 'done', 'active'),
  row('unrescuing', 'fail', 'unrescue failed'),
  row('unrescue failed', 'rescue', 'rescuing'),
  row('unrescue failed', 'unrescue', 'unrescuing'),
  row('unrescue failed', 'delete', 'deleting'),

  // Adopt.
  row('adopting', 'done', 'active'),
  row('adopting', 'fail', 'adopt failed'),
  row('adopt failed', 'adopt', 'adopting'),
  row('adopt failed', 'manage', 'manageable'),

  // Service (steps on an active node).
  row('servicing', 'done', 'active'),
  row('servicing', 'wait', 'service wait'),
  row('servicing', 'hold', 'service hold'),
  row('servicing', 'fail', 'service failed'),
  row('service wait', 'resume', 'servicing'),
  row('service wait', 'hold', 'service hold'),
  row('service wait', 'fail', 'service failed'),
  row('service wait', 'abort', 'service failed'),
  row('service wait', 'delete', 'deleting'),
  row('service hold', 'service', 'servicing'),
  row('service hold', 'unhold', 'service wait'),
  row('service hold', 'fail', 'service failed'),
  row('service hold', 'abort', 'service failed'),
  row('service failed', 'service', 'servicing'),
  row('service failed', 'rescue', 'rescuing'),
  row('service failed', 'wait', 'service wait'),
  row('service failed', 'hold', 'service hold'),
  row('service failed', 'delete', 'deleting'),
  row('service failed', 'abort', 'active'),
];

const byKey = new Map<string, TransitionRow>(TRANSITIONS.map((r) => [key(r.from, r.event), r]));

function key(from: string, event: string): string {
  return `${from}\u0000${event}`;
}

/** The edge leaving `from` on `event`, if the machine has one. */
export function findTransition(
  from: ProvisionState,
  event: LifecycleEvent,
): TransitionRow | undefined {
  return byKey.get(key(from, event));
}

/** Every edge leaving `from`, in table order. */
export function transitionsFrom(from: ProvisionState): TransitionRow[] {
  return TRANSITIONS.filter((r) => r.from === from);
}
