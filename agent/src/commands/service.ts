// service.get_service_steps / service.execute_service_step (IPA's service extension): the steps
// of servicing an active node, run with the node the conductor sends.
import { AgentError } from '../errors.js';
import {
  HARDWARE_MANAGER_CLASS,
  SERVICE_STEPS,
  checkVersions,
  hardwareManagerVersions,
} from '../hardware-manager.js';
import { requireStep } from './clean.js';
import type { CommandContext, CommandTable, Params } from './definition.js';
import { paramObject } from './definition.js';
import { createConfiguration, deleteConfiguration } from './raid.js';

export function serviceCommands(ctx: CommandContext): CommandTable {
  return {
    'service.get_service_steps': {
      kind: 'sync',
      run: async (params) => {
        ctx.rememberNode(params.node);
        return {
          service_steps: { [HARDWARE_MANAGER_CLASS]: SERVICE_STEPS },
          hardware_manager_version: hardwareManagerVersions(),
        };
      },
    },
    'service.execute_service_step': {
      kind: 'async',
      validate: requireStep,
      run: async (params) => {
        ctx.rememberNode(params.node);
        const step = paramObject(params, 'step') ?? {};
        checkVersions(params.service_version);
        const name = String(step.step);
        ctx.log.info('service step started', { step: name });
        let result: unknown;
        try {
          result = await runServiceStep(ctx, name, paramObject(params, 'node'));
        } catch (err) {
          throw AgentError.servicing(
            `Error performing service step ${name}: ${(err as Error).message}`,
          );
        }
        ctx.log.info('service step finished', { step: name });
        return { service_result: result, service_step: step };
      },
    },
  };
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
