// service.get_service_steps / service.execute_service_step (IPA's service extension): the steps
// of servicing an active node, run with the node the conductor sends.
import { AgentError } from '../errors.js';
import { SERVICE_STEPS } from '../hardware-manager.js';
import type { CommandContext, CommandTable, Params } from './definition.js';
import { createConfiguration, deleteConfiguration } from './raid.js';
import { stepExtensionCommands } from './step-extension.js';

export function serviceCommands(ctx: CommandContext): CommandTable {
  return stepExtensionCommands(ctx, {
    name: 'service',
    steps: SERVICE_STEPS,
    failure: (step, cause) =>
      AgentError.servicing(`Error performing service step ${step}: ${cause.message}`),
    run: runServiceStep,
  });
}

async function runServiceStep(
  ctx: CommandContext,
  name: string,
  node: Params | undefined,
): Promise<unknown> {
  switch (name) {
    case 'create_configuration':
      return createConfiguration(ctx, node);
    case 'delete_configuration':
      return deleteConfiguration(ctx);
    default:
      throw new Error(
        `Unknown service step ${name} (known: ${SERVICE_STEPS.map((s) => s.step).join(', ')})`,
      );
  }
}
