// log.collect_system_logs, system.lockdown, poll.get_hardware_info.
import { gzipSync } from 'node:zlib';
import { tar } from '../tar.js';
import type { CommandContext, CommandTable } from './definition.js';

export function miscCommands(ctx: CommandContext): CommandTable {
  return {
    'log.collect_system_logs': {
      kind: 'sync',
      run: async () => {
        const log = Buffer.from(ctx.log.recentLines().join('\n') + '\n', 'utf8');
        // IPA's format: base64 of a tar.gz, which Ironic stores as-is.
        const archive = gzipSync(tar([{ name: 'ingot-agent.log', data: log }]));
        return { system_logs: archive.toString('base64') };
      },
    },
    'system.lockdown': {
      kind: 'sync',
      run: async () => {
        ctx.log.warn('lockdown requested: the agent stops accepting commands and exits');
        ctx.depart('lockdown');
        return null;
      },
    },
    'poll.get_hardware_info': {
      kind: 'sync',
      run: async () => ctx.inventory,
    },
  };
}
