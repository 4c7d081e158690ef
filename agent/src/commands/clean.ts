// clean.get_clean_steps / clean.execute_clean_step.
import { AgentError } from '../errors.js';
import { CLEAN_STEPS, eraseEachDisk } from '../hardware-manager.js';
import type { CommandContext, CommandTable, Params } from './definition.js';
import { createConfiguration, deleteConfiguration } from './raid.js';
import { stepExtensionCommands } from './step-extension.js';

export function cleanCommands(ctx: CommandContext): CommandTable {
  return stepExtensionCommands(ctx, {
    name: 'clean',
    steps: CLEAN_STEPS,
    failure: (step, cause) =>
      AgentError.cleaning(`Error performing clean_step ${step}: ${cause.message}`),
    run: runCleanStep,
  });
}

async function runCleanStep(
  ctx: CommandContext,
  name: string,
  node: Params | undefined,
): Promise<unknown> {
  switch (name) {
    case 'erase_devices_metadata':
      return eraseEachDisk(ctx.disks, 'metadata');
    case 'erase_devices':
      return eraseEachDisk(ctx.disks, 'all');
    case 'create_configuration':
      return createConfiguration(ctx, node);
    case 'delete_configuration':
      return deleteConfiguration(ctx);
    default:
      throw new Error(
        `Unknown clean step ${name} (known: ${CLEAN_STEPS.map((s) => s.step).join(', ')})`,
      );
  }
}
