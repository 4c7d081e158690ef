import { X509Certificate } from 'node:crypto';
import { checkServerIdentity } from 'node:tls';
import { Agent, fetch, type RequestInit, type Response } from 'undici';

/** Connection pools kept for agents' certificates; the least recently used one closes beyond. */
const MAX_POOLS = 256;
const pools = new Map<string, Agent>();

/**
 * The connections to an agent that registered this certificate (IPA's auto TLS, sent as
 * agent_verify_ca): it is the only trust anchor, and the agent must present exactly it, for the
 * address of its callback URL, over TLS 1.3 (Ironic's [agent]tls_minimum_version).
 */
export function pinnedDispatcher(pem: string): Agent {
  const fingerprint = new X509Certificate(pem).fingerprint256;
  const known = pools.get(fingerprint);
  if (known) {
    pools.delete(fingerprint);
    pools.set(fingerprint, known);
    return known;
  }
  const agent = new Agent({
    connect: {
      ca: pem,
      minVersion: 'TLSv1.3',
      checkServerIdentity: (host, cert) =>
        checkServerIdentity(host, cert) ??
        (cert.fingerprint256 === fingerprint
          ? undefined
          : new Error('the agent presented a certificate other than its agent_verify_ca')),
    },
  });
  pools.set(fingerprint, agent);
  if (pools.size > MAX_POOLS) {
    const [oldest, pool] = pools.entries().next().value!;
    pools.delete(oldest);
    void pool.close();
  }
  return agent;
}

/** An agent with a certificate on record whose URL is not https: never called in clear. */
export class PlainHttpRefused extends Error {
  constructor(agentUrl: string) {
    super(
      `Agent at ${agentUrl} registered a TLS certificate (agent_verify_ca) but its URL is not https: plain HTTP is refused`,
    );
    this.name = 'PlainHttpRefused';
  }
}

/**
 * A request to an agent's API: over TLS pinned to its certificate when it registered one (and
 * then never over plain HTTP), else as its URL says, verified against the system's CAs.
 */
export async function fetchAgent(
  url: URL,
  init: Omit<RequestInit, 'dispatcher'>,
  verifyCa: string | null,
): Promise<Response> {
  if (!verifyCa) return fetch(url, init);
  if (url.protocol !== 'https:') throw new PlainHttpRefused(url.origin);
  return fetch(url, { ...init, dispatcher: pinnedDispatcher(verifyCa) });
}

/** Closes every pooled agent connection (shutdown, tests). */
export async function closeAgentConnections(): Promise<void> {
  const open = [...pools.values()];
  pools.clear();
  await Promise.all(open.map((pool) => pool.close()));
}
