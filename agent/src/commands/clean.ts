// clean.get_clean_steps / clean.execute_clean_step.
import { AgentError } from '../errors.js';
import {
  CLEAN_STEPS,
  HARDWARE_MANAGER_CLASS,
  checkVersions,
  eraseEachDisk,
  hardwareManagerVersions,
} from '../hardware-manager.js';
import type { CommandContext, CommandTable, Params } from './definition.js';
import { paramObject } from './definition.js';
import { createConfiguration, deleteConfiguration } from './raid.js';

export function cleanCommands(ctx: CommandContext): CommandTable {
  return {
    'clean.get_clean_steps': {
      kind: 'sync',
      run: async (params) => {
        ctx.rememberNode(params.node);
        return {
          clean_steps: { [HARDWARE_MANAGER_CLASS]: CLEAN_STEPS },
          hardware_manager_version: hardwareManagerVersions(),
        };
      },
    },
    'clean.execute_clean_step': {
      kind: 'async',
      validate: requireStep,
      run: async (params) => {
        ctx.rememberNode(params.node);
        const step = paramObject(params, 'step') ?? {};
        checkVersions(params.clean_version);
        const name = String(step.step);
        ctx.log.info('clean step started', { step: name });
        let result: unknown;
        try {
          result = await runCleanStep(ctx, name, paramObject(params, 'node'));
        } catch (err) {
          throw AgentError.cleaning(
            `Error performing clean_step ${name}: ${(err as Error).message}`,
          );
        }
        ctx.log.info('clean step finished', { step: name });
        return { clean_result: result, clean_step: step };
      },
    },
  };
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

/** Shared by clean and deploy: a step object with a "step" name. */
export function requireStep(params: Params): void {
  const step = paramObject(params, 'step');
  if (!step || typeof step.step !== 'string') {
    throw AgentError.invalidParams('Malformed step: "step" must be an object with a "step" name');
  }
}
