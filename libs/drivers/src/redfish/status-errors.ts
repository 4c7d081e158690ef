import { BmcError } from '../errors.js';
import type { HttpAnswer, HttpMethod } from './http.js';
import { asResource, stringOf } from './resource.js';

/** Turns an HTTP error answer of a BMC into a BmcError that says what to do about it. */
export function statusError(
  bmc: string,
  username: string | undefined,
  call: { method: HttpMethod; path: string },
  answer: HttpAnswer,
): BmcError {
  const { status } = answer;
  const what = `${call.method} ${call.path}`;
  if (status === 401) {
    const message = username
      ? `BMC at ${bmc} refused the credentials for user ${username} (HTTP 401)`
      : `BMC at ${bmc} requires credentials (HTTP 401); set redfish_username and redfish_password`;
    return new BmcError('auth', message, { status });
  }
  if (status === 403) {
    return new BmcError(
      'auth',
      `BMC at ${bmc} does not let user ${username ?? '(none)'} ${what} (HTTP 403); the account needs more privileges`,
      { status },
    );
  }
  if (status === 404) {
    return new BmcError('not_found', `BMC at ${bmc} has no resource ${call.path} (HTTP 404)`, {
      status,
    });
  }
  if (status === 405 || status === 501) {
    return new BmcError('unsupported', `BMC at ${bmc} does not support ${what} (HTTP ${status})`, {
      status,
    });
  }
  const detail = redfishMessage(answer.json);
  // Restarting web servers and the proxies in front of some BMCs answer these for a while: the
  // BMC is away, not refusing, so the caller may try again (as sushy retries server-side errors).
  if (status === 502 || status === 503 || status === 504) {
    return new BmcError(
      'unreachable',
      `BMC at ${bmc} is unavailable (HTTP ${status} to ${what})${detail ? `: ${detail}` : ''}`,
      { status },
    );
  }
  return new BmcError(
    'protocol',
    `BMC at ${bmc} answered ${what} with HTTP ${status}${detail ? `: ${detail}` : ''}`,
    { status },
  );
}

/** The human message of a Redfish error body (DMTF DSP0266 §9.6), shortened. */
export function redfishMessage(body: unknown): string | undefined {
  const error = asResource(asResource(body).error);
  const extended = error['@Message.ExtendedInfo'];
  const first = Array.isArray(extended) ? asResource(extended[0]) : {};
  const message = stringOf(first.Message) ?? stringOf(error.message);
  return message && message.length > 300 ? `${message.slice(0, 297)}...` : message;
}
