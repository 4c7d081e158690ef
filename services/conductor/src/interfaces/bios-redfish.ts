import {
  BiosSettingChangeSchema,
  parse,
  ValidationError,
  type BiosSettingChange,
} from '@ingot/contracts';
import { Type } from '@sinclair/typebox';
import { replaceBiosSettings } from '@ingot/store';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { StepError } from '../operations/fail.js';
import type { StepsInterface } from './types.js';

const SettingsArgument = Type.Array(BiosSettingChangeSchema, { minItems: 1 });

/** apply_configuration's `settings` argument, checked as Ironic's bios interface validates it. */
function settingsOf(args: Record<string, unknown>): BiosSettingChange[] {
  try {
    return parse(SettingsArgument, args.settings, "the 'settings' argument of apply_configuration");
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new StepError(
      `bios step apply_configuration needs 'settings', a list of {"name": ..., "value": ...}: ${error.message}`,
    );
  }
}

/** Reads the settings from the BMC into the node's cache (Ironic's cache_bios_settings). */
export async function cacheBiosSettings(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<Map<string, string | null>> {
  const { bios_settings: settings = [] } = await ctx.bmc.call(
    leased.node,
    'bmc.bios_settings',
    {},
    requestId,
  );
  await replaceBiosSettings(ctx.db, leased.node.uuid, settings);
  return new Map(settings.map((s) => [s.name, s.value]));
}

/**
 * redfish (Ironic's redfish bios interface): settings staged on the BMC's Bios Settings object,
 * checked against its attribute registry, applied by the server at its next boot; then read back.
 */
export const redfishBios: StepsInterface = {
  name: 'redfish',
  cache: async (ctx, leased, requestId) => void (await cacheBiosSettings(ctx, leased, requestId)),
  steps: [
    {
      step: 'apply_configuration',
      priority: 0,
      argsinfo: {
        settings: {
          description:
            'A list of BIOS settings to apply, each {"name": ..., "value": ...}, as the attribute registry allows',
          required: true,
        },
      },
      async run(ctx, leased, args, requestId) {
        const settings = settingsOf(args);
        const reply = await ctx.bmc.call(leased.node, 'bmc.bios_apply', { settings }, requestId);
        if (reply.reboot_required) return { kind: 'reboot', state: {} };
        await cacheBiosSettings(ctx, leased, requestId);
        return { kind: 'done' };
      },
      async resume(ctx, leased, args, _resumed, requestId) {
        const wanted = settingsOf(args);
        const now = await cacheBiosSettings(ctx, leased, requestId);
        const missed = wanted.filter((s) => now.get(s.name) !== String(s.value));
        if (missed.length > 0) {
          throw new StepError(
            `The BIOS did not take ${missed.map((s) => `${s.name}=${String(s.value)} (it reports ${now.get(s.name) ?? 'nothing'})`).join(', ')} after the reboot`,
          );
        }
        return { kind: 'done' };
      },
    },
    {
      step: 'factory_reset',
      priority: 0,
      argsinfo: {},
      async run(ctx, leased, _args, requestId) {
        const reply = await ctx.bmc.call(leased.node, 'bmc.bios_factory_reset', {}, requestId);
        if (reply.reboot_required) return { kind: 'reboot', state: {} };
        await cacheBiosSettings(ctx, leased, requestId);
        return { kind: 'done' };
      },
      async resume(ctx, leased, _args, _resumed, requestId) {
        await cacheBiosSettings(ctx, leased, requestId);
        return { kind: 'done' };
      },
    },
  ],
};
