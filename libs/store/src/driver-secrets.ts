import { isSecretDriverInfoKey, MASKED_SECRET } from '@ingot/contracts';
import type { SecretBox } from './secret-box.js';

/**
 * Splits driver_info into what may be stored in clear and the sealed secrets (or null). The clear
 * part keeps each secret key with Ironic's mask, so reads never need the key to hide them.
 */
export function sealDriverInfo(
  box: SecretBox,
  driverInfo: Record<string, unknown>,
): { driverInfo: Record<string, unknown>; driverSecrets: string | null } {
  const clear: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(driverInfo)) {
    if (isSecretDriverInfoKey(key) && value != null) {
      secrets[key] = value;
      clear[key] = MASKED_SECRET;
    } else clear[key] = value;
  }
  const hasSecrets = Object.keys(secrets).length > 0;
  return {
    driverInfo: clear,
    driverSecrets: hasSecrets ? box.seal(JSON.stringify(secrets)) : null,
  };
}

/** The full driver_info, secrets included: only for the workers that talk to the BMC. */
export function openDriverInfo(
  box: SecretBox,
  driverInfo: Record<string, unknown>,
  driverSecrets: string | null,
): Record<string, unknown> {
  if (!driverSecrets) return { ...driverInfo };
  return { ...driverInfo, ...(JSON.parse(box.open(driverSecrets)) as Record<string, unknown>) };
}

/**
 * driver_info after a change (API patch, inspection rule): secret keys still holding the mask keep
 * the stored secret, new values are sealed. Returns the columns to write.
 */
export function resealDriverInfo(
  box: SecretBox,
  stored: { driverInfo: Record<string, unknown>; driverSecrets: string | null },
  next: Record<string, unknown>,
): { driverInfo: Record<string, unknown>; driverSecrets: string | null } {
  const current = openDriverInfo(box, stored.driverInfo, stored.driverSecrets);
  const merged = Object.fromEntries(
    Object.entries(next).map(([key, value]) => [
      key,
      isSecretDriverInfoKey(key) && value === MASKED_SECRET ? current[key] : value,
    ]),
  );
  return sealDriverInfo(box, merged);
}
