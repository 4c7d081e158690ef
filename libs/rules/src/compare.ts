import { quote } from '@ingot/inventory';
import { render } from './interpolate.js';
import { RuleError } from './rule-error.js';

const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

/**
 * How a list of condition values compares. Strings compare as strings (Ironic's case, since
 * its interpolation yields text); numbers mixed with numeric strings compare as numbers, so
 * "{inventory[cpu][count]}" (a number here) equals both 4 and "4"; anything else compares
 * as JSON for equality and cannot be ordered.
 */
function comparable(values: unknown[], forceStrings: boolean): string[] | number[] | null {
  if (forceStrings || values.every((v) => typeof v === 'string')) return values.map(render);
  const numeric = values.every(
    (v) => typeof v === 'number' || (typeof v === 'string' && NUMERIC.test(v)),
  );
  return numeric ? values.map(Number) : null;
}

export function allEqual(values: unknown[], forceStrings = false): boolean {
  const keys = comparable(values, forceStrings) ?? values.map(canonicalJson);
  return keys.every((k) => k === keys[0]);
}

export function ordered(
  values: unknown[],
  holds: (a: number | string, b: number | string) => boolean,
  forceStrings = false,
): boolean {
  const keys = comparable(values, forceStrings);
  if (!keys) throw new RuleError('values cannot be ordered', values.map(quote).join(', '));
  return keys.slice(1).every((k, i) => holds(keys[i] as number | string, k));
}

/** JSON with sorted keys, so that equal objects compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
