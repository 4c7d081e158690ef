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
