import type { ProvisionState } from '@ingot/contracts';

/**
 * States in which `GET /v1/lookup` answers an agent (Ironic's LOOKUP_ALLOWED_STATES as of
 * 2026, which added `service wait` so that service steps can run through the agent).
 */
export const LOOKUP_ALLOWED_STATES: ReadonlySet<ProvisionState> = new Set<ProvisionState>([
  'deploying',
  'wait call-back',
  'cleaning',
  'clean wait',
  'inspecting',
  'inspect wait',
  'rescuing',
  'rescue wait',
  'service wait',
]);

/** LOOKUP_ALLOWED_STATES plus the states a fast-track agent may stay up in. */
export const FASTTRACK_LOOKUP_ALLOWED_STATES: ReadonlySet<ProvisionState> = new Set<ProvisionState>(
  [...LOOKUP_ALLOWED_STATES, 'enroll', 'manageable', 'available', 'servicing', 'service hold'],
);

/**
 * States in which `DELETE /v1/nodes/{id}` is allowed without maintenance mode.
 *
 * Ironic's constant is (manageable, enroll, adopt failed), and its conductor adds `available`
 * when `[conductor]allow_deleting_available_nodes` is true, which is the default. Ingot has no
 * such option, so the effective default set is exported here, `available` included. A node in
 * maintenance may be deleted in any state (see `isDeleteAllowed`).
 */
export const DELETE_ALLOWED_STATES: ReadonlySet<ProvisionState> = new Set<ProvisionState>([
  'manageable',
  'enroll',
  'adopt failed',
  'available',
]);

/** Whether a node may be deleted: in DELETE_ALLOWED_STATES, or in any state in maintenance. */
export function isDeleteAllowed(state: ProvisionState, maintenance = false): boolean {
  return maintenance || DELETE_ALLOWED_STATES.has(state);
}

/**
 * States whose work lives only in the process of the conductor that ran it: when that
 * conductor dies (its lease expires), the node cannot resume and is failed instead
 * (Ironic's STUCK_STATES_TREATED_AS_FAIL). Wait and hold states are not here: they resume.
 */
export const STUCK_STATES_TREATED_AS_FAIL: ReadonlySet<ProvisionState> = new Set<ProvisionState>([
  'deploying',
  'cleaning',
  'verifying',
  'inspecting',
  'adopting',
  'rescuing',
  'unrescuing',
  'deleting',
  'servicing',
]);
