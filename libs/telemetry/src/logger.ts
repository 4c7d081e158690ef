// JSON-lines logging with trace ids, and secrets censored before they reach any output.
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, wherever pino's redact paths can find them. */
const SECRET_KEYS = [
  'password',
  'redfish_password',
  'ipmi_password',
  'agent_token',
  'token',
  'secret',
  'authorization',
  'Authorization',
  'x-auth-token',
  'X-Auth-Token',
];

/** Redact paths cannot match "any depth", so spell out the key at the top and 3 levels below. */
const MAX_SECRET_DEPTH = 3;

function secretPaths(): string[] {
  // Bracket notation because some keys (x-auth-token) are not identifiers; depth 0 is '["key"]'.
  const prefixes = Array.from({ length: MAX_SECRET_DEPTH + 1 }, (_, depth) =>
    Array<string>(depth).fill('*').join('.'),
  );
  return SECRET_KEYS.flatMap((key) => prefixes.map((prefix) => `${prefix}["${key}"]`));
}

/**
 * drizzle's query errors carry every parameter of the query in their message and stack ("params:
 * a,b,c"): agent tokens, BMC credentials. Logged errors lose that line and keep their cause (the
 * driver's error, which says what went wrong), wherever the error was logged from.
 */
const QUERY_PARAMS = /\nparams: [^\n]*/g;
const MAX_CAUSE_DEPTH = 3;

export function scrubbedError(err: unknown, depth = 0): unknown {
  if (typeof err === 'string') return err.replace(QUERY_PARAMS, '');
  if (!err || typeof err !== 'object' || !('message' in err)) return err;
  const e = err as {
    name?: unknown;
    message?: unknown;
    stack?: unknown;
    code?: unknown;
    cause?: unknown;
  };
  const out: Record<string, unknown> = {
    type: typeof e.name === 'string' ? e.name : err.constructor?.name,
    message: String(e.message).replace(QUERY_PARAMS, ''),
  };
  if (typeof e.stack === 'string') out.stack = e.stack.replace(QUERY_PARAMS, '');
  if (e.code !== undefined) out.code = e.code;
  if (e.cause !== undefined && depth < MAX_CAUSE_DEPTH)
    out.cause = scrubbedError(e.cause, depth + 1);
  return out;
}

function scrubErrors(object: Record<string, unknown>): Record<string, unknown> {
  return 'err' in object ? { ...object, err: scrubbedError(object.err) } : object;
}

/** Adds the active span's ids so that a log line can be found from its trace and back. */
function traceIds(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

export interface LoggerOptions {
  /** Overrides LOG_LEVEL (default info). */
  level?: string;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
}

export function createLogger(service: string, opts: LoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service },
    mixin: traceIds,
    redact: { paths: secretPaths(), censor: '******' },
    formatters: { level: (label: string) => ({ level: label }), log: scrubErrors },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
