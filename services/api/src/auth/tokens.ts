import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AuthConfig } from './config.js';
import { principal, ROLES, type Principal, type Role } from './policy.js';

/** The SHA-256 digest of a token, as the token file stores it (lower-case hex). */
export const tokenDigest = (token: string): Buffer =>
  createHash('sha256').update(token, 'utf8').digest();

interface Entry {
  digest: Buffer;
  principal: Principal;
}

const ENTRY_KEYS = new Set(['token_sha256', 'name', 'roles', 'project_id', 'description']);

/**
 * The accepted bearer tokens, held as SHA-256 digests only. A lookup hashes the presented token
 * and compares it with every digest in constant time, so neither a match's position nor a near
 * miss shows in the timing.
 */
export class TokenStore {
  private constructor(private readonly entries: readonly Entry[]) {}

  static fromConfig(config: AuthConfig): TokenStore {
    const entries: Entry[] = [];
    if (config.tokensFile) entries.push(...readTokensFile(config.tokensFile));
    if (config.adminToken) {
      entries.push({
        digest: tokenDigest(config.adminToken),
        principal: principal('INGOT_ADMIN_TOKEN', ['admin']),
      });
    }
    return TokenStore.of(entries);
  }

  /** For tests: entries already parsed. */
  static of(entries: readonly Entry[]): TokenStore {
    const seen = new Set<string>();
    for (const e of entries) {
      const hex = e.digest.toString('hex');
      if (seen.has(hex)) throw new Error(`Token of '${e.principal.name}' is listed twice`);
      seen.add(hex);
    }
    return new TokenStore(entries);
  }

  get size(): number {
    return this.entries.length;
  }

  lookup(token: string): Principal | undefined {
    const digest = tokenDigest(token);
    let found: Principal | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(e.digest, digest) && !found) found = e.principal;
    }
    return found;
  }
}

/** Reads and checks the token file; every mistake is named with the entry it is in. */
export function readTokensFile(path: string): Entry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`INGOT_AUTH_TOKENS_FILE ${path} cannot be read: ${(error as Error).message}`);
  }
  return parseTokens(text, path);
}

export function parseTokens(text: string, source = 'token file'): Entry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
  // A bare list, or { "tokens": [...] }.
  const list =
    data && typeof data === 'object' && !Array.isArray(data)
      ? (data as { tokens?: unknown }).tokens
      : data;
  if (!Array.isArray(list)) {
    throw new Error(`${source} must hold a JSON list of token entries (or {"tokens": [...]})`);
  }
  return list.map((raw, i) => parseEntry(raw, `${source} entry ${i}`));
}

function parseEntry(raw: unknown, where: string): Entry {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`${where} must be an object`);
  }
  const e = raw as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!ENTRY_KEYS.has(key)) {
      const hint =
        key === 'token' ? ': store the SHA-256 digest as token_sha256, not the token' : '';
      throw new Error(`${where} has an unknown field '${key}'${hint}`);
    }
  }
  if (typeof e.name !== 'string' || !e.name.trim()) {
    throw new Error(`${where} needs a "name"`);
  }
  const name = e.name.trim();
  const label = `${where} ('${name}')`;
  if (typeof e.token_sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(e.token_sha256.trim())) {
    throw new Error(`${label}: token_sha256 must be 64 hex digits (sha256sum of the token)`);
  }
  if (!Array.isArray(e.roles) || e.roles.length === 0) {
    throw new Error(`${label}: roles must be a non-empty list of ${ROLES.join(', ')}`);
  }
  for (const role of e.roles) {
    if (!(ROLES as readonly unknown[]).includes(role)) {
      throw new Error(`${label}: unknown role ${JSON.stringify(role)}; use ${ROLES.join(', ')}`);
    }
  }
  let projectId: string | null = null;
  if (e.project_id !== undefined && e.project_id !== null) {
    if (typeof e.project_id !== 'string' || !e.project_id.trim()) {
      throw new Error(`${label}: project_id must be a non-empty string when given`);
    }
    projectId = e.project_id.trim();
  }
  return {
    digest: Buffer.from(e.token_sha256.trim().toLowerCase(), 'hex'),
    principal: principal(name, e.roles as Role[], projectId),
  };
}
