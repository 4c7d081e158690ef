import { booleanWord } from './boolean-field.js';
import { invalid } from './errors.js';

/**
 * automated_clean as the node stores it. Ironic reads the field with oslo's strict
 * bool_from_string, so 'true', 'off', 'yes'... are booleans too; anything else is refused naming
 * the field. null (or absent) leaves cleaning to the conductor's INGOT_AUTOMATED_CLEAN.
 */
export function automatedCleanOf(value: unknown): boolean | null {
  if (value === undefined || value === null) return null;
  const flag = booleanWord(value);
  if (flag !== undefined) return flag;
  throw invalid(
    `Invalid value for field 'automated_clean': ${JSON.stringify(value)} is not a boolean; use true or false, or null to follow the conductor's setting`,
  );
}
