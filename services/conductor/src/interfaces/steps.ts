import {
  HARDWARE_TYPES,
  nodeInterfaces,
  type DriverInterface,
  type DriverName,
} from '@ingot/contracts';
import { StepError } from '../operations/fail.js';
import { redfishBios } from './bios-redfish.js';
import { redfishRaid } from './raid-redfish.js';
import { agentRaid } from './raid-agent.js';
import { redfishFirmware } from './firmware-redfish.js';
import type { NodeComposition } from './chosen.js';
import type { AgentStep, ConductorStep, StepRequest, StepsInterface } from './types.js';

const byName = (...impls: StepsInterface[]) => Object.fromEntries(impls.map((i) => [i.name, i]));

/** The step interfaces the conductor implements, by interface and implementation name. */
const STEP_INTERFACES: Partial<Record<DriverInterface, Readonly<Record<string, StepsInterface>>>> =
  {
    bios: byName(redfishBios),
    raid: byName(redfishRaid, agentRaid),
    firmware: byName(redfishFirmware),
  };

/** Deploy interfaces whose deploy steps run on the agent (Ironic's agent-based deploy). */
const AGENT_DEPLOY_INTERFACES = new Set(['direct']);

/** The agent runs deploy steps as it offers them, and an interface's agent steps as declared. */
export type StepRunner =
  { kind: 'agent'; step?: AgentStep } | { kind: 'conductor'; step: ConductorStep };

function implementationOf(node: NodeComposition, iface: string): string | undefined {
  const spec = HARDWARE_TYPES[node.driver as DriverName] ?? HARDWARE_TYPES.redfish;
  return (nodeInterfaces(spec, node) as Record<string, string>)[iface];
}

/**
 * Who carries out `step` for this node: the agent (the deploy interface's steps, which the agent
 * offers and checks) or the conductor (its step interfaces). A step neither has fails the
 * operation naming the interface the node has, as Ironic refuses an unsupported step.
 */
export function stepRunnerOf(node: NodeComposition, step: StepRequest): StepRunner {
  const impl = implementationOf(node, step.interface);
  if (impl === undefined)
    throw new StepError(`'${step.interface}' is not an interface of Ironic's driver model`);
  if (step.interface === 'deploy' && AGENT_DEPLOY_INTERFACES.has(impl)) return { kind: 'agent' };
  const implementation = STEP_INTERFACES[step.interface as DriverInterface]?.[impl];
  const own = implementation?.steps.find((s) => s.step === step.step);
  if (own) return { kind: 'conductor', step: own };
  const onAgent = implementation?.agentSteps?.find((s) => s.step === step.step);
  if (onAgent) return { kind: 'agent', step: onAgent };
  throw new StepError(
    `${step.interface} step '${step.step}' is not supported by the node's ${step.interface}_interface '${impl}'`,
  );
}

/** The conductor's own steps for this node, for listing (Ironic's get_*_steps of each interface). */
export function conductorStepsOf(
  node: NodeComposition,
): { interface: DriverInterface; step: ConductorStep }[] {
  return (Object.keys(STEP_INTERFACES) as DriverInterface[]).flatMap((iface) => {
    const impl = implementationOf(node, iface);
    const steps = impl ? (STEP_INTERFACES[iface]?.[impl]?.steps ?? []) : [];
    return steps.map((step) => ({ interface: iface, step }));
  });
}

/** The node's implementation of a step interface, when the conductor has one. */
export function stepsInterfaceOf(
  node: NodeComposition,
  iface: DriverInterface,
): StepsInterface | undefined {
  const impl = implementationOf(node, iface);
  return impl ? STEP_INTERFACES[iface]?.[impl] : undefined;
}

/** Every step interface the conductor implements for this node (bios, raid, firmware, ...). */
export function stepsInterfacesOf(node: NodeComposition): StepsInterface[] {
  return (Object.keys(STEP_INTERFACES) as DriverInterface[])
    .map((iface) => stepsInterfaceOf(node, iface))
    .filter((impl): impl is StepsInterface => impl !== undefined);
}
