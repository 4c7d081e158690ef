import type { ConductorConfig } from '../config.js';
import type { LeasedNode } from '../node-lease.js';

/** Steps a manual clean asked for, kept until the agent is up (Ironic's clean_steps argument). */
export const REQUESTED_CLEAN_STEPS = 'clean_steps_requested';

export const isManual = (leased: LeasedNode) => leased.node.targetProvisionState === 'manageable';

export type AutomatedCleanMode = ConductorConfig['automatedClean'];

/**
 * How a node is cleaned on provide and undeploy (Ironic's skip_automated_cleaning): its own
 * automated_clean when set, else INGOT_AUTOMATED_CLEAN. true only says whether, not how: the
 * steps are the conductor's (metadata or full), metadata when the conductor's default is disabled.
 */
export function automatedCleanMode(
  configured: AutomatedCleanMode,
  node: { automatedClean: boolean | null },
): AutomatedCleanMode {
  if (node.automatedClean === false) return 'disabled';
  if (node.automatedClean === true) return configured === 'disabled' ? 'metadata' : configured;
  return configured;
}
