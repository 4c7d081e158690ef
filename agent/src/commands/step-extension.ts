// The shape IPA's clean and service extensions share: get_<x>_steps lists the hardware manager's
// steps, execute_<x>_step runs one after checking the manager version the conductor saw.
import { AgentError } from '../errors.js';
import {
  HARDWARE_MANAGER_CLASS,
  checkVersions,
  hardwareManagerVersions,
  type StepDescription,
} from '../hardware-manager.js';
import type { CommandContext, CommandTable, Params } from './definition.js';
import { paramObject } from './definition.js';

export interface StepExtension {
  /** IPA's extension name, which also names its commands and their answers' keys. */
  name: 'clean' | 'service';
  steps: readonly StepDescription[];
  /** The extension's error for a step that failed (IPA's CleaningError, ServicingError). */
  failure: (step: string, cause: Error) => AgentError;
  /** Runs the step `step` with the node the conductor sent. */
  run: (ctx: CommandContext, step: string, node: Params | undefined) => Promise<unknown>;
}

export function stepExtensionCommands(ctx: CommandContext, ext: StepExtension): CommandTable {
  return {
    [`${ext.name}.get_${ext.name}_steps`]: {
      kind: 'sync',
      run: async (params) => {
        ctx.rememberNode(params.node);
        return {
          [`${ext.name}_steps`]: { [HARDWARE_MANAGER_CLASS]: ext.steps },
          hardware_manager_version: hardwareManagerVersions(),
        };
      },
    },
    [`${ext.name}.execute_${ext.name}_step`]: {
      kind: 'async',
      validate: requireStep,
      run: async (params) => {
        ctx.rememberNode(params.node);
        const step = paramObject(params, 'step') ?? {};
        checkVersions(params[`${ext.name}_version`]);
        const name = String(step.step);
        ctx.log.info(`${ext.name} step started`, { step: name });
        let result: unknown;
        try {
          result = await ext.run(ctx, name, paramObject(params, 'node'));
        } catch (err) {
          throw ext.failure(name, err as Error);
        }
        ctx.log.info(`${ext.name} step finished`, { step: name });
        return { [`${ext.name}_result`]: result, [`${ext.name}_step`]: step };
      },
    },
  };
}

/** Shared by every step extension and deploy: a step object with a "step" name. */
export function requireStep(params: Params): void {
  const step = paramObject(params, 'step');
  if (!step || typeof step.step !== 'string') {
    throw AgentError.invalidParams('Malformed step: "step" must be an object with a "step" name');
  }
}
