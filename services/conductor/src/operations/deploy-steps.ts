import { deployTemplatesMatching } from '@ingot/store';
import type { ConductorContext } from '../context.js';
import { stepRunnerOf } from '../interfaces/steps.js';
import type { LeasedNode } from '../node-lease.js';
import type { Step } from './steps.js';

/** Deploy steps the deploy request gave (Ironic's deploy_steps argument, API 1.69). */
export const REQUESTED_DEPLOY_STEPS = 'deploy_steps_requested';

const keyOf = (step: Step) => `${step.interface}.${step.step}`;

/**
 * The deploy steps that run besides writing the image (Ironic's get_all_deploy_steps): those of
 * the deploy templates named by the instance's traits (instance_info.traits), then those of the
 * request, which replace a template's step of the same interface and name. Priority 0 disables a
 * step. Each must be one the node's interfaces have: a deploy fails on it before anything is
 * fetched or booted.
 */
export async function extraDeploySteps(ctx: ConductorContext, leased: LeasedNode): Promise<Step[]> {
  const node = leased.node;
  const traits = Array.isArray(node.instanceInfo.traits)
    ? node.instanceInfo.traits.filter((t): t is string => typeof t === 'string')
    : [];
  const templates = await deployTemplatesMatching(ctx.db, traits);
  const requested = ((node.driverInternalInfo as Record<string, unknown>)[REQUESTED_DEPLOY_STEPS] ??
    []) as Step[];
  const steps = new Map<string, Step>();
  for (const template of templates)
    for (const s of template.steps)
      steps.set(keyOf(s), {
        interface: s.interface,
        step: s.step,
        args: s.args,
        priority: s.priority,
      });
  for (const s of requested) steps.set(keyOf(s), s);
  // Writing the image is the deploy interface's own step, planned with its image.
  steps.delete('deploy.write_image');
  const enabled = [...steps.values()].filter((s) => (s.priority ?? 0) > 0);
  for (const step of enabled) stepRunnerOf(node, step);
  return enabled;
}
