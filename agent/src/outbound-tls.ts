// How the agent verifies the HTTPS servers it calls (the API, the image cache), as
// ironic-python-agent's `cafile` and `insecure` (ipa-insecure=1) settings do.
import { readFile } from 'node:fs/promises';
import { Agent, type Dispatcher } from 'undici';
import { ConfigError, type AgentConfig } from './config.js';

/**
 * The connection pool outbound requests go through: one trusting only ca_file's certificates, or
 * one that verifies nothing (insecure); undefined means the system's CAs, as by default.
 */
export async function outboundDispatcher(
  config: Pick<AgentConfig, 'ca_file' | 'insecure'>,
): Promise<Dispatcher | undefined> {
  if (config.insecure) return new Agent({ connect: { rejectUnauthorized: false } });
  if (!config.ca_file) return undefined;
  let ca: string;
  try {
    ca = await readFile(config.ca_file, 'utf8');
  } catch (err) {
    throw new ConfigError([`ca_file: cannot read ${config.ca_file}: ${(err as Error).message}`]);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError([`ca_file: ${config.ca_file} holds no PEM certificate`]);
  return new Agent({ connect: { ca } });
}
