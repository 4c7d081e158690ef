import type { BmcErrorKind } from '@ingot/contracts';

export interface BmcErrorDetails {
  /** HTTP status the BMC answered, when it answered. */
  status?: number;
  /** The driver_info field to fix, for kind 'invalid_config'. */
  field?: string;
  cause?: unknown;
}

/**
 * A BMC operation that failed, worded for the person who has to fix it. `kind` lets callers
 * decide on retries (unreachable, timeout) versus asking for a config change (auth, tls).
 * Messages never contain a password.
 */
export class BmcError extends Error {
  readonly status: number | undefined;
  readonly field: string | undefined;

  constructor(
    readonly kind: BmcErrorKind,
    message: string,
    details: BmcErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'BmcError';
    this.status = details.status;
    this.field = details.field;
  }
}

export const isBmcError = (err: unknown): err is BmcError => err instanceof BmcError;

/** A copy of `error` with `secret` masked, for messages that may echo what the BMC was sent. */
export function withoutSecret(error: BmcError, secret: string | undefined): BmcError {
  if (!secret || !error.message.includes(secret)) return error;
  return new BmcError(error.kind, error.message.replaceAll(secret, '******'), {
    status: error.status,
    field: error.field,
  });
}
