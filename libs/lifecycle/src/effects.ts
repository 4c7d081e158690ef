import type { ProvisionState } from '@ingot/contracts';

/** A unit of work the conductor runs for a node. */
export type Operation =
  | 'verify'
  | 'inspect'
  | 'clean'
  | 'deploy'
  | 'undeploy'
  | 'rescue'
  | 'unrescue'
  | 'adopt'
  | 'service';

/**
 * What the conductor must do because of a transition. The machine itself does nothing.
 *
 * - `start`: begin `operation` in the state just entered. Cleaning says whether it is
 *   `automated` (target available, after provide or tear-down) or `manual` (target manageable).
 * - `abort`: stop the `operation` in flight (agent commands, pending steps) before the node
 *   settles in the state just entered.
 *
 * Continuing events (done, fail, wait, resume, hold, unhold) produce no effect: the
 * conductor that sent them already knows what it is doing.
 */
export type Effect =
  | { readonly kind: 'start'; readonly operation: Exclude<Operation, 'clean'> }
  | { readonly kind: 'start'; readonly operation: 'clean'; readonly mode: 'automated' | 'manual' }
  | { readonly kind: 'abort'; readonly operation: Operation };

/** The operation that runs in each in-progress state, and the one its wait/hold/failed states belong to. */
const OPERATION_OF: Readonly<Partial<Record<ProvisionState, Operation>>> = {
  verifying: 'verify',
  inspecting: 'inspect',
  'inspect wait': 'inspect',
  cleaning: 'clean',
  'clean wait': 'clean',
  'clean hold': 'clean',
  deploying: 'deploy',
  'wait call-back': 'deploy',
  'deploy hold': 'deploy',
  deleting: 'undeploy',
  rescuing: 'rescue',
  'rescue wait': 'rescue',
  unrescuing: 'unrescue',
  adopting: 'adopt',
  servicing: 'service',
  'service wait': 'service',
  'service hold': 'service',
  'service failed': 'service',
};

/** The operation that runs in (or was running when a node reached) `state`, if any. */
export function operationOf(state: ProvisionState): Operation | null {
  return OPERATION_OF[state] ?? null;
}

const STARTING: ReadonlySet<string> = new Set([
  'manage',
  'provide',
  'inspect',
  'clean',
  'deploy',
  'rebuild',
  'delete',
  'rescue',
  'unrescue',
  'adopt',
  'service',
]);

const IN_PROGRESS: ReadonlySet<ProvisionState> = new Set([
  'verifying',
  'inspecting',
  'cleaning',
  'deploying',
  'deleting',
  'rescuing',
  'unrescuing',
  'adopting',
  'servicing',
]);

/** The effects of `from --event--> to` with the target the node carries afterwards. */
export function effectsOf(
  from: ProvisionState,
  event: string,
  to: ProvisionState,
  target: ProvisionState | null,
): Effect[] {
  if (event === 'abort') {
    const operation = operationOf(from);
    return operation ? [{ kind: 'abort', operation }] : [];
  }
  if (!STARTING.has(event) || !IN_PROGRESS.has(to)) return [];
  const operation = operationOf(to);
  if (operation === null) return [];
  if (operation === 'clean') {
    return [{ kind: 'start', operation, mode: target === 'manageable' ? 'manual' : 'automated' }];
  }
  return [{ kind: 'start', operation }];
}
