import { IpmiDriverInfoSchema, validationErrors } from '@ingot/contracts';
import { BmcError, isBmcError, withoutSecret } from '../errors.js';

/** driver_info of one node, checked and resolved into ipmitool's options. */
export interface IpmiConfig {
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  privLevel: 'ADMINISTRATOR' | 'OPERATOR' | 'USER' | 'CALLBACK';
  cipherSuite: number | undefined;
  /** One ipmitool command, retries included. */
  timeoutMs: number;
}

export const DEFAULT_IPMI_TIMEOUT_MS = 15_000;

const HINTS: Record<string, string> = {
  ipmi_address: 'must be the host name or IP address of the BMC',
  ipmi_port: 'must be a UDP port number between 1 and 65535',
  ipmi_password: 'must be at most 20 bytes (the IPMI 2.0 limit)',
  ipmi_priv_level: "must be 'ADMINISTRATOR', 'OPERATOR', 'USER' or 'CALLBACK'",
  ipmi_cipher_suite: 'must be an IPMI 2.0 cipher suite number between 0 and 17',
  ipmi_protocol_version: "must be '2.0' (Ingot speaks IPMI 2.0 / RMCP+ only)",
  ipmi_timeout_ms: 'must be an integer number of milliseconds between 1000 and 600000',
};

export function parseIpmiConfig(driverInfo: Record<string, unknown>, nodeUuid: string): IpmiConfig {
  try {
    return parse(driverInfo, nodeUuid);
  } catch (err) {
    const password = driverInfo.ipmi_password;
    throw isBmcError(err) && typeof password === 'string' ? withoutSecret(err, password) : err;
  }
}

function parse(driverInfo: Record<string, unknown>, nodeUuid: string): IpmiConfig {
  const [first] = validationErrors(IpmiDriverInfoSchema, driverInfo, 1);
  if (first) {
    const field = first.path.split('/')[1] || 'ipmi_address';
    throw new BmcError(
      'invalid_config',
      `driver_info of node ${nodeUuid} is invalid: ${field} ${HINTS[field] ?? first.message}`,
      { field },
    );
  }
  const info = driverInfo as {
    ipmi_address: string;
    ipmi_port?: number | string;
    ipmi_username?: string;
    ipmi_password?: string;
    ipmi_priv_level?: IpmiConfig['privLevel'];
    ipmi_cipher_suite?: number | string;
    ipmi_timeout_ms?: number;
  };
  const port = info.ipmi_port === undefined ? 623 : Number(info.ipmi_port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BmcError(
      'invalid_config',
      `driver_info of node ${nodeUuid} is invalid: ipmi_port ${HINTS.ipmi_port}`,
      { field: 'ipmi_port' },
    );
  }
  if (info.ipmi_password !== undefined && Buffer.byteLength(info.ipmi_password) > 20) {
    throw new BmcError(
      'invalid_config',
      `driver_info of node ${nodeUuid} is invalid: ipmi_password must be at most 20 bytes (the IPMI 2.0 limit)`,
      { field: 'ipmi_password' },
    );
  }
  const cipher = info.ipmi_cipher_suite === undefined ? undefined : Number(info.ipmi_cipher_suite);
  if (cipher !== undefined && (!Number.isInteger(cipher) || cipher > 17)) {
    throw new BmcError(
      'invalid_config',
      `driver_info of node ${nodeUuid} is invalid: ipmi_cipher_suite ${HINTS.ipmi_cipher_suite}`,
      { field: 'ipmi_cipher_suite' },
    );
  }
  return {
    host: info.ipmi_address,
    port,
    username: info.ipmi_username || undefined,
    password: info.ipmi_password || undefined,
    privLevel: info.ipmi_priv_level ?? 'ADMINISTRATOR',
    cipherSuite: cipher,
    timeoutMs: info.ipmi_timeout_ms ?? DEFAULT_IPMI_TIMEOUT_MS,
  };
}
