import type { V1Secret } from '@kubernetes/client-node';
import { ANNOTATIONS, INSPECT_DISABLED, type BareMetalHost } from '@ingot/metal3';

/** A Secret's key as text (Secrets hold base64), or undefined when absent. */
export function secretText(secret: V1Secret | undefined, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const data = secret?.data?.[key];
    if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
    const plain = secret?.stringData?.[key];
    if (plain !== undefined) return plain;
  }
  return undefined;
}

/** The reboot annotations present and the mode they ask for (hard when any says so). */
export function rebootRequest(
  annotations: Record<string, string>,
): { mode: 'hard' | 'soft'; keys: string[] } | undefined {
  const prefix = ANNOTATIONS.rebootPrefix;
  const keys = Object.keys(annotations).filter((k) => k === prefix || k.startsWith(`${prefix}/`));
  if (keys.length === 0) return undefined;
  const hard = keys.some((k) => {
    try {
      return (JSON.parse(annotations[k] || '{}') as { mode?: string }).mode === 'hard';
    } catch {
      return false;
    }
  });
  return { mode: hard ? 'hard' : 'soft', keys };
}

/** `inspect.metal3.io`: disabled, or set to anything else to inspect again. */
export function inspectRequest(host: BareMetalHost): { disabled: boolean; again: boolean } {
  const value = host.metadata?.annotations?.[ANNOTATIONS.inspect];
  if (value === undefined)
    return { disabled: host.spec?.inspectionMode === 'disabled', again: false };
  return { disabled: value === INSPECT_DISABLED, again: value !== INSPECT_DISABLED };
}

/**
 * Ironic's automated_clean for Metal3's automatedCleaningMode, as baremetal-operator sets it:
 * disabled is false; metadata (the default) is true. Metal3's metadata mode is Ironic configured to
 * erase disk metadata only, which is what Ingot's conductor runs for true under its default
 * INGOT_AUTOMATED_CLEAN=metadata (full, if the operator chose full erasure for the site).
 */
export function automatedCleanOfMode(mode: string | undefined): boolean {
  return mode !== 'disabled';
}

/** Parses network data given as JSON (or YAML, as Metal3 users write it). */
export function parseStructured(
  text: string,
  what: string,
  loadYaml: (t: string) => unknown,
): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = loadYaml(text);
    } catch (error) {
      throw new Error(`${what} is neither JSON nor YAML: ${(error as Error).message}`);
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${what} must be a JSON or YAML object`);
  return value as Record<string, unknown>;
}
