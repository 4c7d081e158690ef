import { MASKED_SECRET, isSecretDriverInfoKey } from '@ingot/contracts';

/** Keys Ironic's rule engine masks (engine.SENSITIVE_FIELDS), plus driver_info's secrets. */
const SENSITIVE_FIELDS = ['password', 'auth_token', 'bmc_password'];

const isSecret = (key: string) => SENSITIVE_FIELDS.includes(key) || isSecretDriverInfoKey(key);

/**
 * A copy with secret values replaced, for rules that are not sensitive: such a rule cannot
 * copy a password into a log line, an attribute anyone may read, or last_error.
 */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        isSecret(k) && v !== null && v !== undefined ? MASKED_SECRET : maskSecrets(v),
      ]),
    );
  }
  return value;
}
