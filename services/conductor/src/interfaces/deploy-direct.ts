import { cleanWithAgent } from '../operations/agent-clean.js';
import { deployWithAgent } from '../operations/agent-deploy.js';
import type { DeployInterface } from './types.js';

/**
 * direct (Ironic's agent deploy): the agent ramdisk writes the image and runs the clean steps;
 * its heartbeats move the node on from `wait call-back` and `clean wait` (operations/agent-wait.ts).
 */
export const directDeploy: DeployInterface = {
  name: 'direct',
  deploy: deployWithAgent,
  clean: cleanWithAgent,
};
