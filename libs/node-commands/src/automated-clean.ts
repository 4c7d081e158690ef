import { invalid } from './errors.js';

const TRUE_WORDS = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_WORDS = ['0', 'f', 'false', 'off', 'n', 'no'];

/**
 * automated_clean as the node stores it. Ironic reads the field with oslo's strict
 * bool_from_string, so 'true', 'off', 'yes'... are booleans too; anything else is refused naming
 * the field. null (or absent) leaves cleaning to the conductor's INGOT_AUTOMATED_CLEAN.
 */
export function automatedCleanOf(value: unknown): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value;
  const word = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (word !== undefined && TRUE_WORDS.includes(word)) return true;
  if (word !== undefined && FALSE_WORDS.includes(word)) return false;
  throw invalid(
    `Invalid value for field 'automated_clean': ${JSON.stringify(value)} is not a boolean; use true or false, or null to follow the conductor's setting`,
  );
}
