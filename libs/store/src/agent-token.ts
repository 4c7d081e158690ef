import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from './secret-box.js';

/** Ironic's token: secrets.token_urlsafe() = 43 URL-safe characters. */
export const newAgentToken = (): string => randomBytes(32).toString('base64url');

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * The columns that store an agent token: its SHA-256 (hex) for checking what agents send, and the
 * token sealed for the one reader that needs it in clear, the conductor. A database dump, or a
 * failed query's parameters in a log, then holds nothing an agent endpoint accepts.
 */
export function agentTokenColumns(
  box: SecretBox,
  token: string,
): { agentTokenHash: string; agentTokenSealed: string } {
  return { agentTokenHash: digest(token).toString('hex'), agentTokenSealed: box.seal(token) };
}

/** What ends a ramdisk operation's token: no hash, nothing sealed. */
export const NO_AGENT_TOKEN = {
  agentTokenHash: null,
  agentTokenSealed: null,
  agentTokenPregenerated: false,
} as const;

/**
 * Whether `given` is the token whose hash is stored. Both sides are compared as 32-byte digests
 * in constant time, so neither the token's length nor its first wrong character shows in timing.
 */
export function agentTokenMatches(storedHash: string | null, given: unknown): boolean {
  if (!storedHash || typeof given !== 'string' || given === '') return false;
  const stored = Buffer.from(storedHash, 'hex');
  const offered = digest(given);
  return stored.length === offered.length && timingSafeEqual(stored, offered);
}

/** The token in clear, for the conductor's calls to the agent; null when the node has none. */
export function openAgentToken(
  box: SecretBox,
  node: { agentTokenSealed: string | null },
): string | null {
  return node.agentTokenSealed ? box.open(node.agentTokenSealed) : null;
}
