import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { databaseCause, isDatabaseUnavailable } from '@ingot/store';

/** An error with the HTTP status and the sentence a client should see. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);

/** PostgreSQL's unique_violation, directly or wrapped by drizzle. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return e.code === '23505' || e.cause?.code === '23505';
}

/**
 * Ironic's error body: `error_message` is itself a JSON string holding faultstring/faultcode, which
 * is what python-ironicclient and gophercloud parse.
 */
export function ironicErrorBody(statusCode: number, message: string): { error_message: string } {
  return {
    error_message: JSON.stringify({
      faultstring: message,
      faultcode: statusCode < 500 ? 'Client' : 'Server',
      debuginfo: null,
    }),
  };
}

/** Words a schema failure the way a person fixes it: which field of which part, and why. */
function validationMessage(error: FastifyError): string {
  const part = error.validationContext ?? 'body';
  // A nullable field fails both branches of its anyOf; the branch that is not `null` says why.
  const all = error.validation ?? [];
  const meaningful = all.filter(
    (v) => v.keyword !== 'anyOf' && !(v.keyword === 'type' && v.params.type === 'null'),
  );
  const details = (meaningful.length > 0 ? meaningful : all).map((v) => {
    const missing = (v.params as { missingProperty?: string }).missingProperty;
    const extra = (v.params as { additionalProperty?: string }).additionalProperty;
    const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const field = [path, missing ?? extra].filter(Boolean).join('.');
    if (missing) return `field '${field}' is required`;
    if (extra) return `field '${field}' is not allowed`;
    const allowed = (v.params as { allowedValues?: unknown[] }).allowedValues;
    return `field '${field || part}' ${v.message}${allowed ? `: ${allowed.join(', ')}` : ''}`;
  });
  return `Invalid request ${part}: ${[...new Set(details)].join('; ')}`;
}

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error.validation) {
    return reply.status(400).send(ironicErrorBody(400, validationMessage(error)));
  }
  if (error instanceof ApiError) {
    return reply.status(error.statusCode).send(ironicErrorBody(error.statusCode, error.message));
  }
  if (isDatabaseUnavailable(error)) {
    // Not the request's fault and not a bug: clients (python-ironicclient, gophercloud) retry a 503.
    const cause = databaseCause(error);
    request.log.warn({ err: { message: cause.message, code: cause.code } }, 'database unavailable');
    return reply
      .status(503)
      .header('retry-after', '1')
      .send(ironicErrorBody(503, 'The node store (PostgreSQL) is unavailable; retry later'));
  }
  const status =
    error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) request.log.error({ err: error }, 'request failed');
  const message =
    status === 500 ? 'Internal error; see the API service log for the request id' : error.message;
  return reply.status(status).send(ironicErrorBody(status, message));
}
