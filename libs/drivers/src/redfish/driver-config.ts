import { readFileSync } from 'node:fs';
import {
  RedfishDriverInfoSchema,
  validationErrors,
  type RedfishDriverInfo,
} from '@ingot/contracts';
import { BmcError, isBmcError, withoutSecret } from '../errors.js';

export type RedfishAuthType = 'basic' | 'session' | 'auto';

/** How to verify the BMC's TLS certificate: against system CAs, a given bundle, or not at all. */
export type TlsVerification = { verify: false } | { verify: true; caFile?: string; ca?: string };

/** driver_info of one node, checked and resolved into what the Redfish client needs. */
export interface RedfishConfig {
  /** scheme://host[:port] of the BMC. */
  origin: string;
  /** host[:port], as error messages name the BMC. */
  bmc: string;
  hostname: string;
  port: number;
  /** Path of the ComputerSystem; discovered when absent. */
  systemPath: string | undefined;
  username: string | undefined;
  password: string | undefined;
  tls: TlsVerification;
  authType: RedfishAuthType;
  timeoutMs: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

const HINTS: Record<string, string> = {
  redfish_address: 'must be a non-empty URL such as https://10.0.0.5 or http://127.0.0.1:8000',
  redfish_auth_type: "must be 'basic', 'session' or 'auto'",
  redfish_timeout_ms: 'must be an integer number of milliseconds between 100 and 600000',
  redfish_verify_ca: 'must be true, false or the path of a CA bundle',
};

const invalid = (nodeUuid: string, field: string, why: string) =>
  new BmcError('invalid_config', `driver_info of node ${nodeUuid} is invalid: ${field} ${why}`, {
    field,
  });

export function parseRedfishConfig(
  driverInfo: Record<string, unknown>,
  nodeUuid: string,
): RedfishConfig {
  try {
    return parse(driverInfo, nodeUuid);
  } catch (err) {
    // Some messages quote a value (a path, an address); none may show the password.
    const password = driverInfo.redfish_password;
    throw isBmcError(err) && typeof password === 'string' ? withoutSecret(err, password) : err;
  }
}

function parse(driverInfo: Record<string, unknown>, nodeUuid: string): RedfishConfig {
  const [first] = validationErrors(RedfishDriverInfoSchema, driverInfo, 1);
  if (first) {
    const field = first.path.replace(/^\//, '').split('/')[0] || 'driver_info';
    // TypeBox messages say what was expected, never the value, so no secret can leak here.
    const why = /required/i.test(first.message) ? 'is required' : HINTS[field];
    throw invalid(nodeUuid, field, why ?? `is wrong: ${first.message}`);
  }
  const info = driverInfo as RedfishDriverInfo;
  const address = parseAddress(info.redfish_address, nodeUuid);
  return {
    origin: address.origin,
    bmc: address.host,
    hostname: address.hostname,
    port: Number(address.port) || (address.protocol === 'https:' ? 443 : 80),
    systemPath: parseSystemPath(info.redfish_system_id, nodeUuid),
    username: info.redfish_username || undefined,
    password: info.redfish_password,
    tls: parseVerifyCa(info.redfish_verify_ca, nodeUuid),
    authType: info.redfish_auth_type ?? 'auto',
    timeoutMs: info.redfish_timeout_ms ?? DEFAULT_TIMEOUT_MS,
  };
}

function parseAddress(raw: string, nodeUuid: string): URL {
  // Ironic's rule: an address without a scheme means https.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid(nodeUuid, 'redfish_address', `is not a valid URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(nodeUuid, 'redfish_address', `must use http or https, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw invalid(
      nodeUuid,
      'redfish_address',
      'must not contain credentials; set redfish_username and redfish_password instead',
    );
  }
  if (url.pathname !== '/' || url.search) {
    throw invalid(nodeUuid, 'redfish_address', 'must be scheme://host[:port] without a path');
  }
  return url;
}

function parseSystemPath(raw: string | undefined, nodeUuid: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!raw.startsWith('/')) {
    throw invalid(
      nodeUuid,
      'redfish_system_id',
      `must be the path of the system, e.g. /redfish/v1/Systems/1, not ${JSON.stringify(raw)}`,
    );
  }
  return raw.replace(/\/+$/, '');
}

const TRUE_LIKE = /^(true|yes|on|1)$/i;
const FALSE_LIKE = /^(false|no|off|0)$/i;

function parseVerifyCa(raw: boolean | string | undefined, nodeUuid: string): TlsVerification {
  if (raw === undefined || raw === true) return { verify: true };
  if (raw === false || FALSE_LIKE.test(raw)) return { verify: false };
  if (TRUE_LIKE.test(raw)) return { verify: true };
  try {
    return { verify: true, caFile: raw, ca: readFileSync(raw, 'utf8') };
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw invalid(
      nodeUuid,
      'redfish_verify_ca',
      `is neither a boolean nor a readable CA bundle: ${raw} (${reason})`,
    );
  }
}
