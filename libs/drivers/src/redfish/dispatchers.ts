import { Agent } from 'undici';
import type { RedfishConfig } from './driver-config.js';

/** Bound on the TCP + TLS handshake; each request is also bounded by its own timeout. */
export const CONNECT_TIMEOUT_MS = 10_000;

const pool = new Map<string, Agent>();

/**
 * The connection pool for one BMC and one way of verifying it. Nodes behind the same BMC share
 * keep-alive connections; a node with other TLS settings never reuses a socket verified
 * differently.
 */
export function dispatcherFor(config: RedfishConfig): Agent {
  const { tls } = config;
  const verification = tls.verify ? `verify:${tls.caFile ?? 'system'}` : 'no-verify';
  const key = `${config.origin} ${verification}`;
  let agent = pool.get(key);
  if (!agent) {
    agent = new Agent({
      connections: 8,
      keepAliveTimeout: 4_000,
      connect: {
        timeout: CONNECT_TIMEOUT_MS,
        rejectUnauthorized: tls.verify,
        ...(tls.verify && tls.ca ? { ca: tls.ca } : {}),
      },
    });
    pool.set(key, agent);
  }
  return agent;
}

/** Closes every pooled connection; for process shutdown and test teardown. */
export async function closeDriverConnections(): Promise<void> {
  const agents = [...pool.values()];
  pool.clear();
  await Promise.all(agents.map((agent) => agent.destroy()));
}
