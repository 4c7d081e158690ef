import type { BmcErrorKind } from '@ingot/contracts';
import { BmcError } from '../errors.js';
import { CONNECT_TIMEOUT_MS } from './dispatchers.js';

/** Failures on the way to the BMC rather than in its answer. */
export const TRANSPORT_KINDS: readonly BmcErrorKind[] = ['unreachable', 'timeout', 'tls'];

/** Codes of failures that happen before the BMC saw the request, so a GET may be re-sent. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

const TLS_VERIFY_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;
const TLS_OTHER_CODE = /^(ERR_SSL_|ERR_TLS_|EPROTO$)/;

/** The first `code` found along an error and its causes. */
export function errorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isConnectionError = (err: unknown): boolean =>
  CONNECTION_CODES.has(errorCode(err) ?? '');

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed while sending',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'the BMC closed the connection',
  ENOTFOUND: 'its host name does not resolve',
  EAI_AGAIN: 'its host name could not be resolved right now',
};

/** Words a failure of the transport (no HTTP answer) for the person who has to fix it. */
export function transportError(
  err: unknown,
  bmc: string,
  timeout: { expired: boolean; ms: number },
): BmcError {
  const code = errorCode(err);
  const reason = err instanceof Error ? err.message : String(err);
  if (timeout.expired) {
    return new BmcError('timeout', `BMC at ${bmc} did not answer within ${timeout.ms} ms`, {
      cause: err,
    });
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new BmcError(
      'timeout',
      `BMC at ${bmc} did not accept a connection within ${CONNECT_TIMEOUT_MS} ms`,
      { cause: err },
    );
  }
  if (code && REASONS[code]) {
    return new BmcError('unreachable', `BMC at ${bmc} is unreachable: ${REASONS[code]}`, {
      cause: err,
    });
  }
  if (code && TLS_VERIFY_CODE.test(code)) {
    return new BmcError(
      'tls',
      `TLS certificate of BMC at ${bmc} could not be verified: ${reason}; ` +
        'set redfish_verify_ca=false to skip verification for this node, ' +
        'or redfish_verify_ca=<path of a CA bundle> to trust its issuer',
      { cause: err },
    );
  }
  if (code && TLS_OTHER_CODE.test(code)) {
    return new BmcError(
      'tls',
      `TLS handshake with BMC at ${bmc} failed: ${reason}; ` +
        'check that the scheme of redfish_address (http or https) is the one the BMC serves',
      { cause: err },
    );
  }
  if (code?.startsWith('HPE_')) {
    return new BmcError('protocol', `BMC at ${bmc} sent a malformed HTTP answer: ${reason}`, {
      cause: err,
    });
  }
  return new BmcError('unreachable', `request to BMC at ${bmc} failed: ${reason}`, {
    cause: err,
  });
}
