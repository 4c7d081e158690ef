// Runs commands the way IPA does: one at a time, results kept in order, async ones in the
// background with their status polled by the conductor.
import { randomUUID } from 'node:crypto';
import type { AgentCommandResult, AgentCommandStatus } from '@ingot/contracts';
import type { SerializedError } from '../errors.js';
import { AgentError, isInvalidContent, toAgentError } from '../errors.js';
import type { CommandTable, Params } from './definition.js';

export type CommandStatus = AgentCommandStatus;

/** The wire shape of a command result, with this agent's error serialization. */
export interface CommandResult extends AgentCommandResult {
  command_error: SerializedError | null;
}

interface Entry {
  result: CommandResult;
  /** The full "<extension>.<command>" name, for the busy error. */
  fullName: string;
  kind: 'sync' | 'async';
  done: Promise<void>;
}

export interface ExecutorHooks {
  /** A command ended; `async` ones make IPA force a heartbeat. */
  onFinished?: (result: CommandResult, kind: 'sync' | 'async') => void;
}

const LONG_PARAM = 1024;

export class CommandExecutor {
  private readonly entries: Entry[] = [];
  private readonly byId = new Map<string, Entry>();

  constructor(
    private readonly table: CommandTable,
    private readonly hooks: ExecutorHooks = {},
  ) {}

  /**
   * Starts a command. Sync commands resolve when done; async ones as soon as they started.
   * Throws AgentError for bad requests (400) and when busy (409).
   */
  async execute(name: unknown, params: Params): Promise<Entry> {
    if (typeof name !== 'string' || !/^[^.]+\.[^.]+$/.test(name)) {
      throw AgentError.invalidCommand('Command name must be of the form <extension>.<name>');
    }
    const definition = this.table[name];
    if (!definition) throw AgentError.invalidCommand(`Unknown command: ${name}`);
    const running = this.entries.find((e) => e.result.command_status === 'RUNNING');
    if (running) throw AgentError.agentIsBusy(running.fullName);
    definition.validate?.(params);

    const result: CommandResult = {
      id: randomUUID(),
      command_name: name.split('.')[1] ?? name,
      command_params: displayParams(params),
      command_status: 'RUNNING',
      command_error: null,
      command_result: null,
    };
    // Registered before the first await, so that a concurrent request sees the agent busy.
    let finish!: () => void;
    const entry: Entry = {
      result,
      fullName: name,
      kind: definition.kind,
      done: new Promise<void>((resolve) => (finish = resolve)),
    };
    this.entries.push(entry);
    this.byId.set(result.id, entry);

    const work = definition
      .run(params)
      .then((value) => {
        result.command_result = value === undefined ? null : value;
        result.command_status = 'SUCCEEDED';
      })
      .catch((err: unknown) => {
        if (definition.kind === 'sync' && isInvalidContent(err)) {
          this.forget(entry);
          throw err;
        }
        result.command_error = toAgentError(err).serialize();
        result.command_status = 'FAILED';
      })
      .finally(finish);

    const finished = work.then(() => this.hooks.onFinished?.(result, definition.kind));
    if (definition.kind === 'sync') await finished;
    return entry;
  }

  list(): CommandResult[] {
    return this.entries.map((e) => e.result);
  }

  get(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  private forget(entry: Entry): void {
    this.entries.splice(this.entries.indexOf(entry), 1);
    this.byId.delete(entry.result.id);
  }
}

/**
 * Params are echoed back in every poll; a config drive can weigh megabytes and carries user
 * data (maybe secrets), so it and other long strings are summarised instead, and the rescue
 * password masked.
 */
function displayParams(params: Params): Params {
  return JSON.parse(
    JSON.stringify(params, (key, value: unknown) => {
      if (typeof value !== 'string') return value;
      if (key === 'configdrive') return `<config drive, ${value.length} characters>`;
      // The rescue password (its hash, as Ironic sends it) is not shown back, as IPA's mask.
      if (key === 'rescue_password') return '******';
      return value.length > LONG_PARAM ? `<${value.length} characters>` : value;
    }),
  ) as Params;
}

export type { Entry as CommandEntry };
