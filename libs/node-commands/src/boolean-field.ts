import { invalid } from './errors.js';

/** The words oslo's strutils.bool_from_string(strict=True) reads, after trim and lower case. */
export const TRUE_WORDS = ['1', 't', 'true', 'on', 'y', 'yes'] as const;
export const FALSE_WORDS = ['0', 'f', 'false', 'off', 'n', 'no'] as const;

/** A boolean, or a string oslo reads as one; undefined for anything else. */
export function booleanWord(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if ((TRUE_WORDS as readonly string[]).includes(word)) return true;
  if ((FALSE_WORDS as readonly string[]).includes(word)) return false;
  return undefined;
}

/**
 * A boolean field as Ironic's types.boolean reads it: python-ironicclient sends `port set
 * --pxe-disabled` as the string "False", so the strings are booleans too; anything else is a 400
 * naming the field, worded as Ironic's.
 */
export function booleanFieldOf(field: string, value: unknown): boolean {
  const flag = booleanWord(value);
  if (flag !== undefined) return flag;
  throw invalid(
    `Invalid ${field}: Unrecognized value ${JSON.stringify(value)}, acceptable values are: ${[...FALSE_WORDS, ...TRUE_WORDS].sort().join(', ')}`,
  );
}
