// standby.*: the legacy image path, power actions, sync and partition UUIDs.
import { runTool } from '../tools.js';
import type { CommandContext, CommandTable } from './definition.js';
import { imageParams, writeImageCommand } from './image-commands.js';

export function standbyCommands(ctx: CommandContext): CommandTable {
  return {
    'standby.prepare_image': {
      kind: 'async',
      validate: (params) => void imageParams(params),
      run: async (params) => ({
        result: `prepare_image: ${await writeImageCommand(ctx, params)}`,
      }),
    },
    'standby.power_off': {
      kind: 'async',
      run: async () => {
        await flushDisks(ctx);
        ctx.depart('power_off');
        return null;
      },
    },
    'standby.run_image': {
      kind: 'async',
      run: async () => {
        await flushDisks(ctx);
        ctx.depart('reboot');
        return null;
      },
    },
    'standby.sync': {
      kind: 'sync',
      run: async () => {
        await runTool('sync', []);
        return null;
      },
    },
    'standby.get_partition_uuids': {
      kind: 'sync',
      run: async () => {
        const uuids = ctx.partitionUuids();
        if (!uuids) ctx.log.warn('no image written yet: no partition UUIDs to report');
        return uuids ?? {};
      },
    },
  };
}

/** Writes must reach the disks before the power goes. */
async function flushDisks(ctx: CommandContext): Promise<void> {
  try {
    await runTool('sync', []);
  } catch (err) {
    ctx.log.warn('sync failed before power action', { error: (err as Error).message });
  }
}
