import type { ProvisionState } from '@ingot/contracts';
import { isStable } from './classes.js';
import type { Operation } from './effects.js';
import type { TransitionOk } from './transition.js';

/**
 * The operations Ingot's conductor runs. Its registry of runners is keyed by exactly these (a
 * compile error otherwise), and the API accepts a verb only if what it starts is among them: one
 * list, so the two cannot disagree.
 */
export const IMPLEMENTED_OPERATIONS = [
  'verify',
  'inspect',
  'clean',
  'deploy',
  'undeploy',
  'adopt',
  'service',
  'rescue',
  'unrescue',
] as const satisfies readonly Operation[];
export type ImplementedOperation = (typeof IMPLEMENTED_OPERATIONS)[number];

const IMPLEMENTED: ReadonlySet<Operation> = new Set(IMPLEMENTED_OPERATIONS);

export const isImplementedOperation = (operation: Operation): operation is ImplementedOperation =>
  IMPLEMENTED.has(operation);

/** The in-progress state each operation's step runs in (where a conductor resumes it). */
export const RUNNING_STATE = {
  verify: 'verifying',
  inspect: 'inspecting',
  clean: 'cleaning',
  deploy: 'deploying',
  undeploy: 'deleting',
  rescue: 'rescuing',
  unrescue: 'unrescuing',
  adopt: 'adopting',
  service: 'servicing',
} as const satisfies Record<Operation, ProvisionState>;

/**
 * Whether the conductor can carry out a transition the API accepted: every operation it starts is
 * implemented; one that starts none must abort an operation or settle in a stable state (an
 * `unhold` would resume steps Ingot never holds).
 */
export function conductorCanCarryOut(result: TransitionOk): boolean {
  const starts = result.effects.filter((e) => e.kind === 'start');
  if (starts.length > 0) return starts.every((e) => isImplementedOperation(e.operation));
  return result.effects.some((e) => e.kind === 'abort') || isStable(result.to);
}
