import { readFileSync } from 'node:fs';

/** Reads an integer setting of at least `min`, refusing anything else with the variable's name. */
export function intFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min = 0,
): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new Error(`${name} must be an integer of at least ${min}, got "${value}"`);
  }
  return n;
}

/** Reads a yes/no setting (1/0, true/false, yes/no, on/off). */
export function boolFromEnv(env: NodeJS.ProcessEnv, name: string, fallback = false): boolean {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new Error(`${name} must be true or false, got "${value}"`);
}

/** The site (conductor_group) a worker serves; it becomes a NATS subject token. */
export function siteFromEnv(env: NodeJS.ProcessEnv): string {
  const site = env.INGOT_SITE ?? '';
  if (!/^[a-zA-Z0-9_-]*$/.test(site)) {
    throw new Error(`INGOT_SITE "${site}" may only hold letters, digits, '_' and '-'`);
  }
  return site;
}

/** A server's certificate chain and key (PEM), both read at start. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/**
 * `<prefix>_CERT_FILE` and `<prefix>_KEY_FILE` (e.g. INGOT_API_TLS): both or neither, read at
 * start, so that a wrong path stops the service with the variable's name.
 */
export function tlsFilesFromEnv(env: NodeJS.ProcessEnv, prefix: string): TlsFiles | undefined {
  const certVar = `${prefix}_CERT_FILE`;
  const keyVar = `${prefix}_KEY_FILE`;
  const certFile = env[certVar]?.trim();
  const keyFile = env[keyVar]?.trim();
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new Error(`${certVar} and ${keyVar} go together: set both`);
  const read = (name: string, path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(`${name} ${path} cannot be read: ${(error as Error).message}`);
    }
  };
  return { cert: read(certVar, certFile), key: read(keyVar, keyFile) };
}
