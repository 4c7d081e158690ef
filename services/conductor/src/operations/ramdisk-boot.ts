import type { NodeColumns, NodeRow } from '@ingot/store';
import type { ConductorConfig } from '../config.js';
import type { RamdiskPurpose } from '../interfaces/types.js';

/** driver_internal_info key of the current operation's last ramdisk boot. */
export const RAMDISK_BOOT = 'ramdisk_boot';

/** The last ramdisk boot of the node's current operation, kept in driver_internal_info. */
export interface RamdiskBoot {
  purpose: RamdiskPurpose;
  /** 1 for the operation's first boot, 2 for its first retry, ... */
  attempt: number;
  /** When the power action that started it was done (ISO 8601). */
  at: string;
  /** How the ramdisk was reached, as its boot interface names it ('virtual media', 'network'). */
  via: string;
}

export function ramdiskBootOf(node: Pick<NodeRow, 'driverInternalInfo'>): RamdiskBoot | undefined {
  const boot = (node.driverInternalInfo as Record<string, unknown>)[RAMDISK_BOOT] as
    Partial<RamdiskBoot> | undefined;
  if (
    !boot ||
    typeof boot.attempt !== 'number' ||
    typeof boot.at !== 'string' ||
    Number.isNaN(Date.parse(boot.at))
  )
    return undefined;
  return boot as RamdiskBoot;
}

/** The record of a boot just done: the operation's next attempt (its first for a new purpose). */
export function nextRamdiskBoot(
  node: Pick<NodeRow, 'driverInternalInfo'>,
  purpose: RamdiskPurpose,
  via: RamdiskBoot['via'],
  at: Date,
): RamdiskBoot {
  const previous = ramdiskBootOf(node);
  const attempt = previous?.purpose === purpose ? previous.attempt + 1 : 1;
  return { purpose, attempt, at: at.toISOString(), via };
}

/**
 * Columns written as a new ramdisk boot is about to power the server: what earlier agents did
 * (their lookup, their heartbeats, the agent command a step was waiting for) no longer counts. Only
 * this boot's agent can make contact from here on, since it alone has the new token.
 */
export function forgetEarlierAgents(node: Pick<NodeRow, 'driverInternalInfo'>): NodeColumns {
  const info = node.driverInternalInfo as Record<string, unknown> & {
    steps?: Record<string, unknown>;
  };
  const set: NodeColumns = { agentContactAt: null, agentLastHeartbeat: null };
  if (info.steps && 'command' in info.steps) {
    const { command: _command, ...steps } = info.steps;
    set.driverInternalInfo = { ...info, steps };
  }
  return set;
}

/** driver_internal_info without the ramdisk boot record (the operation is over). */
export function withoutRamdiskBoot(info: Record<string, unknown>): Record<string, unknown> {
  const { [RAMDISK_BOOT]: _boot, ...rest } = info;
  return rest;
}

/** How long an agent heard of before may stay silent before it is taken for dead. */
export const silenceLimitMs = (config: ConductorConfig): number =>
  config.agentHeartbeatTimeoutMs + config.agentHeartbeatGraceMs;

/**
 * When the sweeper first checks on a boot's agent: at the boot timeout, or earlier (the silence
 * limit) so that an agent that made contact at once and then died is not noticed late.
 */
export const firstAgentCheckAt = (config: ConductorConfig, bootAt: Date): Date =>
  new Date(bootAt.getTime() + Math.min(config.bootTimeoutMs, silenceLimitMs(config)));

/** The agent's last sign of life since its boot (lookup or heartbeat), if any. */
export function lastAgentContact(
  node: Pick<NodeRow, 'agentContactAt' | 'agentLastHeartbeat'>,
): Date | null {
  const times = [node.agentContactAt, node.agentLastHeartbeat].filter((t): t is Date => !!t);
  if (times.length === 0) return null;
  return new Date(Math.max(...times.map((t) => t.getTime())));
}

export type AgentVerdict =
  /** No boot on record: nothing to watch. */
  | { kind: 'unwatched' }
  /** Nothing to say yet: look again then. */
  | { kind: 'later'; at: Date }
  /** The boot produced no lookup and no heartbeat within the boot timeout. */
  | { kind: 'no contact'; boot: RamdiskBoot }
  /** The agent made contact, then fell silent for longer than the silence limit. */
  | { kind: 'silent'; boot: RamdiskBoot; lastContact: Date; heartbeated: boolean };

/** What the facts say about the agent of a node waiting for it, at `now`. */
export function agentVerdict(
  config: ConductorConfig,
  node: Pick<NodeRow, 'driverInternalInfo' | 'agentContactAt' | 'agentLastHeartbeat'>,
  now: Date,
): AgentVerdict {
  const boot = ramdiskBootOf(node);
  if (!boot) return { kind: 'unwatched' };
  const last = lastAgentContact(node);
  if (!last) {
    const timeout = new Date(Date.parse(boot.at) + config.bootTimeoutMs);
    return timeout > now ? { kind: 'later', at: timeout } : { kind: 'no contact', boot };
  }
  const limit = new Date(last.getTime() + silenceLimitMs(config));
  if (limit > now) return { kind: 'later', at: limit };
  return { kind: 'silent', boot, lastContact: last, heartbeated: !!node.agentLastHeartbeat };
}
