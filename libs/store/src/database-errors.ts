// What a failed query means for the caller: whether PostgreSQL was out of reach (retry later) or
// the query itself was wrong. drizzle wraps the driver's error (the cause) in one whose message
// carries the SQL and every parameter, secrets included, so callers report the cause instead.

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** The driver's own error under drizzle's wrapper, or the error itself. */
export function databaseCause(error: unknown): ErrorLike {
  let current = error as ErrorLike;
  for (let depth = 0; depth < 5 && current?.cause && typeof current.cause === 'object'; depth++) {
    current = current.cause as ErrorLike;
  }
  return current ?? {};
}

/**
 * SQLSTATEs of a server that refuses or lost the connection: class 08 (connection exception),
 * 53300 too_many_connections, 57P01..57P03 (shut down, crashed, starting up).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53300|57P0[1-3])$/;
const UNAVAILABLE_SOCKET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
]);
// node-postgres reports a lost or never-made connection in words, without a code; PostgreSQL's
// "not currently accepting connections" (a database closed for maintenance) has a generic code.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|is not currently accepting connections/i;

/** Whether the error says PostgreSQL is (for now) out of reach, rather than the query being wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const cause = databaseCause(error);
  const code = typeof cause.code === 'string' ? cause.code : '';
  const message = typeof cause.message === 'string' ? cause.message : '';
  return (
    UNAVAILABLE_SQLSTATE.test(code) ||
    UNAVAILABLE_SOCKET.has(code) ||
    UNAVAILABLE_MESSAGE.test(message)
  );
}
