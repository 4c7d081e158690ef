// What a command is, and what commands may use of the agent.
import type { Dispatcher } from 'undici';
import type { AgentConfig } from '../config.js';
import type { TargetDisk } from '../disks/devices.js';
import type { Inventory } from '../inventory/types.js';
import type { AgentLogger } from '../log.js';
import type { NodeInfo } from '../node-info.js';

export type Params = Record<string, unknown>;

export interface CommandDefinition {
  /** sync: the result comes back in the POST's answer. async: RUNNING, then polled. */
  kind: 'sync' | 'async';
  /** Rejects bad params before anything starts (HTTP 400). */
  validate?(params: Params): void;
  run(params: Params): Promise<unknown>;
}

export type CommandTable = Record<string, CommandDefinition>;

/**
 * Ways the agent can leave: each maps to an exit code (lab) or a system action (host). 'rescue':
 * the agent is done and the machine stays up for the rescue user.
 */
export type Departure = 'power_off' | 'reboot' | 'lockdown' | 'rescue';

export interface CommandContext {
  readonly config: AgentConfig;
  readonly log: AgentLogger;
  readonly inventory: Inventory;
  readonly disks: readonly TargetDisk[];
  /** Lists the disks again (software RAID steps add and remove md devices). */
  rescanDisks(): Promise<void>;
  /** Fires when the agent stops: long work (downloads) gives up. */
  readonly signal: AbortSignal;
  /** How downloads verify HTTPS (ca_file, insecure); undefined: the system's CAs. */
  readonly outbound: Dispatcher | undefined;
  /** The node from the latest command that carried one, else from the lookup. */
  node(): NodeInfo | undefined;
  rememberNode(node: unknown): void;
  partitionUuids(): Record<string, string> | undefined;
  setPartitionUuids(uuids: Record<string, string>): void;
  /** Leaves after the current answer went out. */
  depart(how: Departure): void;
}

export function paramObject(params: Params, key: string): Params | undefined {
  const value = params[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Params)
    : undefined;
}
