import type { ServiceHeartbeat } from '@ingot/contracts';

/**
 * What this process is doing, as its heartbeat tells it: one service runs per process, so this is
 * process-wide. A service waiting for PostgreSQL or NATS at start says so here.
 */
export interface ServiceStatus {
  state: ServiceHeartbeat['state'];
  waitingFor?: string;
}

const status: ServiceStatus = { state: 'starting' };

export function currentStatus(): Readonly<ServiceStatus> {
  return status;
}

export function reportWaiting(what: string): void {
  status.state = 'waiting';
  status.waitingFor = what;
}

/** Back to starting once a dependency answered (ready comes when the whole service runs). */
export function reportDependencyUp(): void {
  if (status.state === 'waiting') status.state = 'starting';
  status.waitingFor = undefined;
}

export function reportState(state: 'ready' | 'stopped'): void {
  status.state = state;
  status.waitingFor = undefined;
}
