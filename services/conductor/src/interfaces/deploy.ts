import { HARDWARE_TYPES } from '@ingot/contracts';
import { chosenImplementation, type NodeComposition } from './chosen.js';
import { directDeploy } from './deploy-direct.js';
import { fakeDeploy } from './deploy-fake.js';
import type { DeployInterface } from './types.js';

/** Every deploy interface the conductor runs, by the name of a hardware type's deploy_interface. */
export const DEPLOY_INTERFACES: Readonly<Record<string, DeployInterface>> = Object.fromEntries(
  [directDeploy, fakeDeploy].map((deploy) => [deploy.name, deploy]),
);

export const deployInterfaceOf = (node: NodeComposition): DeployInterface =>
  chosenImplementation(node, 'deploy', DEPLOY_INTERFACES);

/**
 * Hardware types whose deploy interface a conductor resumes in `wait call-back` (no agent calls
 * back): the sweeper looks for their nodes there. Deploy interfaces are not chosen per node.
 */
export const DRIVERS_RESUMED_IN_WAIT: readonly string[] = Object.values(HARDWARE_TYPES)
  .filter((spec) => DEPLOY_INTERFACES[spec.interfaces.deploy]?.resumeWait !== undefined)
  .map((spec) => spec.name);
