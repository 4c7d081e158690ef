import { cleanCommands } from './clean.js';
import type { CommandContext, CommandTable } from './definition.js';
import { deployCommands } from './deploy.js';
import { miscCommands } from './misc.js';
import { rescueCommands } from './rescue.js';
import { serviceCommands } from './service.js';
import { standbyCommands } from './standby.js';

export type { CommandContext, CommandDefinition, CommandTable, Departure } from './definition.js';
export { CommandExecutor } from './executor.js';
export type { CommandResult, CommandStatus } from './executor.js';

/** Every command the agent serves, keyed "<extension>.<command>". */
export function commandTable(ctx: CommandContext): CommandTable {
  return {
    ...cleanCommands(ctx),
    ...deployCommands(ctx),
    ...standbyCommands(ctx),
    ...miscCommands(ctx),
    ...rescueCommands(ctx),
    ...serviceCommands(ctx),
  };
}
