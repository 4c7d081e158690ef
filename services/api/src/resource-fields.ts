import type { TSchema } from '@sinclair/typebox';
import { parse, ValidationError } from '@ingot/contracts';
import { badRequest, isUniqueViolation } from './errors.js';

/** The fields of a full resource answer that `fields` asks for, and its links (as Ironic). */
export function pickFields(
  full: Record<string, unknown>,
  fields: readonly string[] | undefined,
): Record<string, unknown> {
  if (fields === undefined) return full;
  const out: Record<string, unknown> = {};
  for (const field of fields) if (field in full) out[field] = full[field];
  if ('links' in full) out.links = full.links;
  return out;
}

/** A patched resource checked against its create schema: 400 naming each bad field. */
export function checkPatched<T extends TSchema>(schema: T, doc: unknown, what: string): void {
  try {
    parse(schema, doc, what);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw badRequest(
      `Invalid patch: ${error.errors.map((e) => `field '${e.path.slice(1).replace(/\//g, '.') || what}' ${e.message.toLowerCase()}`).join('; ')}`,
    );
  }
}

/** The unique constraint a unique violation broke (drizzle wraps pg's error), if it is one. */
export function violatedConstraint(error: unknown): string | undefined {
  if (!isUniqueViolation(error)) return undefined;
  const e = error as { constraint?: string; cause?: { constraint?: string } };
  return e.constraint ?? e.cause?.constraint ?? '';
}

/** Keys whose values Ironic masks in step arguments (oslo's mask_dict_password, in short). */
const SECRET_KEY = /pass|secret|token|private_key|encrypted_key|keyring|cephkey|sslkey/i;

/** `args` with secret values replaced by `******`, at any depth. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) && (typeof v === 'string' || typeof v === 'number')
        ? '******'
        : maskSecrets(v),
    ]),
  );
}
