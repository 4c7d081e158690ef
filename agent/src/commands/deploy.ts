// deploy.get_deploy_steps / deploy.execute_deploy_step.
import { AgentError, toAgentError } from '../errors.js';
import {
  DEPLOY_STEPS,
  HARDWARE_MANAGER_CLASS,
  checkVersions,
  eraseEachDisk,
  hardwareManagerVersions,
} from '../hardware-manager.js';
import { requireStep } from './step-extension.js';
import type { CommandContext, CommandTable, Params } from './definition.js';
import { paramObject } from './definition.js';
import { imageParams, writeImageCommand } from './image-commands.js';

export function deployCommands(ctx: CommandContext): CommandTable {
  return {
    'deploy.get_deploy_steps': {
      kind: 'sync',
      run: async (params) => {
        ctx.rememberNode(params.node);
        return {
          deploy_steps: { [HARDWARE_MANAGER_CLASS]: DEPLOY_STEPS },
          hardware_manager_version: hardwareManagerVersions(),
        };
      },
    },
    'deploy.execute_deploy_step': {
      kind: 'async',
      validate: (params) => {
        requireStep(params);
        const step = paramObject(params, 'step') ?? {};
        if (step.step === 'write_image') imageParams(stepArgs(params));
      },
      run: async (params) => {
        ctx.rememberNode(params.node);
        const step = paramObject(params, 'step') ?? {};
        checkVersions(params.deploy_version);
        const name = String(step.step);
        ctx.log.info('deploy step started', { step: name });
        let result: unknown;
        try {
          result = await runDeployStep(ctx, name, stepArgs(params));
        } catch (err) {
          // Errors that already say what went wrong (checksum, download) pass through, as in IPA.
          if (err instanceof AgentError) throw err;
          throw AgentError.deployment(
            `Unexpected exception performing deploy step ${name}. ${toAgentError(err).details}`,
          );
        }
        ctx.log.info('deploy step finished', { step: name });
        return { deploy_result: result, deploy_step: step };
      },
    },
  };
}

/** Step args merged over the remaining params (IPA: kwargs.update(step['args'])). */
function stepArgs(params: Params): Params {
  const { step: _step, node: _node, ports: _ports, deploy_version: _version, ...rest } = params;
  return { ...rest, ...(paramObject(paramObject(params, 'step') ?? {}, 'args') ?? {}) };
}

async function runDeployStep(ctx: CommandContext, name: string, args: Params): Promise<unknown> {
  switch (name) {
    case 'write_image':
      return { result: `write_image: ${await writeImageCommand(ctx, args)}` };
    case 'erase_devices_metadata':
      return eraseEachDisk(ctx.disks, 'metadata');
    default:
      throw AgentError.deployment(
        `Unknown deploy step ${name} (known: ${DEPLOY_STEPS.map((s) => s.step).join(', ')})`,
      );
  }
}
