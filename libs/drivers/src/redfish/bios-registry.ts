import type { BiosSetting, BiosValue } from '../interfaces.js';
import { stringOf, type Resource } from './resource.js';

/** One RegistryEntries.Attributes[] entry of a DMTF AttributeRegistry. */
export type RegistryEntry = Resource;

const numberOf = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;
const booleanOf = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null);

/** Value[].ValueName of an Enumeration attribute. */
function allowedValues(entry: RegistryEntry | undefined): string[] | null {
  if (!entry || !Array.isArray(entry.Value)) return null;
  return entry.Value.flatMap((v) => stringOf((v as Resource).ValueName) ?? []);
}

/** A setting with its registry facts, as Ironic's BIOSSetting fields name them. */
export function settingOf(
  name: string,
  value: BiosValue,
  entry: RegistryEntry | undefined,
): BiosSetting {
  return {
    name,
    value,
    attribute_type: stringOf(entry?.Type) ?? null,
    allowable_values: allowedValues(entry),
    lower_bound: numberOf(entry?.LowerBound),
    upper_bound: numberOf(entry?.UpperBound),
    min_length: numberOf(entry?.MinLength),
    max_length: numberOf(entry?.MaxLength),
    read_only: booleanOf(entry?.ReadOnly),
    reset_required: booleanOf(entry?.ResetRequired),
    unique: booleanOf(entry?.IsSystemUniqueProperty),
  };
}

/**
 * Checks one setting against its registry entry and converts it to the entry's type: Ironic's API
 * carries values as strings, so "30" is taken for an Integer and "true" for a Boolean. Without a
 * registry entry, a setting the Bios already lists passes as given; an unknown one is refused.
 */
export function checkBiosValue(
  name: string,
  value: BiosValue,
  entry: RegistryEntry | undefined,
  listed: boolean,
): { value: BiosValue } | { problem: string } {
  const shown = JSON.stringify(value);
  if (!entry) return listed ? { value } : { problem: `${name}: no such BIOS setting` };
  if (entry.ReadOnly === true) return { problem: `${name}: the setting is read-only` };
  switch (entry.Type) {
    case 'Integer': {
      const number =
        typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isInteger(number)) {
        return { problem: `${name}: ${shown} is not an integer` };
      }
      const low = numberOf(entry.LowerBound);
      const high = numberOf(entry.UpperBound);
      if ((low !== null && number < low) || (high !== null && number > high)) {
        return { problem: `${name}: ${number} is outside ${low ?? '-∞'}..${high ?? '∞'}` };
      }
      return { value: number };
    }
    case 'Boolean': {
      const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
      const flag = text === 'true' ? true : text === 'false' ? false : value;
      return typeof flag === 'boolean'
        ? { value: flag }
        : { problem: `${name}: ${shown} is not true or false` };
    }
    case 'Enumeration': {
      const allowed = allowedValues(entry) ?? [];
      return typeof value === 'string' && allowed.includes(value)
        ? { value }
        : { problem: `${name}: ${shown} is not one of ${allowed.join(', ')}` };
    }
    default: {
      if (typeof value !== 'string') return { problem: `${name}: ${shown} is not a string` };
      const min = numberOf(entry.MinLength) ?? 0;
      const max = numberOf(entry.MaxLength);
      if (value.length < min || (max !== null && value.length > max)) {
        return {
          problem: `${name}: ${shown} must be ${min} to ${max ?? 'any number of'} characters`,
        };
      }
      return { value };
    }
  }
}
