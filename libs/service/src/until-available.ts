import type { Logger } from '@ingot/telemetry';
import { intFromEnv } from './env.js';
import { reportDependencyUp, reportWaiting } from './service-status.js';

const FIRST_RETRY_MS = 500;

/**
 * Runs `attempt` until it succeeds, waiting longer between tries (up to
 * INGOT_DEPENDENCY_RETRY_MAX_MS, default 10 s), as long as `retryable` says the failure is one
 * that passes by itself (a server not up yet). Each failed try is logged and shown in the
 * heartbeat, so a service started before PostgreSQL or NATS waits and says what it waits for
 * instead of exiting: services need no start order.
 */
export async function untilAvailable<T>(opts: {
  /** What is waited for, for people: "PostgreSQL at postgres://db:5432/ingot". */
  what: string;
  attempt: () => Promise<T>;
  retryable: (error: unknown) => boolean;
  logger: Logger;
}): Promise<T> {
  const maxDelayMs = intFromEnv(process.env, 'INGOT_DEPENDENCY_RETRY_MAX_MS', 10_000, 1);
  let delayMs = Math.min(FIRST_RETRY_MS, maxDelayMs);
  for (let tries = 1; ; tries++) {
    try {
      const result = await opts.attempt();
      if (tries > 1) opts.logger.info({ tries }, `${opts.what} is available`);
      reportDependencyUp();
      return result;
    } catch (error) {
      if (!opts.retryable(error)) throw error;
      const reason = errorText(error);
      reportWaiting(`${opts.what}: ${reason}`);
      opts.logger.warn(
        { tries, retry_in_ms: delayMs, err: reason },
        `waiting for ${opts.what} (${reason}); trying again in ${(delayMs / 1000).toFixed(1)} s`,
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }
}

function errorText(error: unknown): string {
  const e = error as { code?: string; message?: string; errors?: unknown[] };
  // Node's connect errors for several addresses (localhost → ::1 and 127.0.0.1) are an AggregateError without a message.
  if (!e?.message && Array.isArray(e?.errors) && e.errors.length > 0) return errorText(e.errors[0]);
  return e?.message || e?.code || String(error);
}

const PASSING_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
/** PostgreSQL's SQLSTATEs of a server that is not ready yet: starting up, shutting down, full. */
const PASSING_PG_CODES = new Set(['57P03', '57P01', '57P02', '53300', '08006', '08001']);

/** A failure to reach PostgreSQL that passes once the server is up (not: wrong password, no database). */
export function isPassingDatabaseError(error: unknown): boolean {
  const e = error as { code?: string; message?: string; errors?: unknown[] };
  if (Array.isArray(e?.errors) && e.errors.some(isPassingDatabaseError)) return true;
  if (e?.code && (PASSING_NETWORK_CODES.has(e.code) || PASSING_PG_CODES.has(e.code))) return true;
  return /Connection terminated|timeout expired|the database system is (starting|shutting)/i.test(
    e?.message ?? '',
  );
}

/** A failure to reach NATS that passes once the server is up (not: refused credentials). */
export function isPassingBusError(error: unknown): boolean {
  const text = String((error as Error)?.message ?? error);
  if (/authori[sz]ation|authentication|permissions/i.test(text)) return false;
  const code = (error as { code?: string })?.code;
  return (
    (code !== undefined && PASSING_NETWORK_CODES.has(code)) ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|connection refused|timeout|TIMEOUT|CONNECTION_REFUSED|closed|jetstream.*not.*enabled|503/i.test(
      text,
    )
  );
}
