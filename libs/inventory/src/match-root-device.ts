import type { InventoryDisk } from '@ingot/contracts';
import {
  booleanFrom,
  normalizeHintString,
  type RootDeviceHint,
  type StringHintName,
  type StringOperator,
  type NumberOperator,
} from './root-device-hints.js';
import { wholeGiB } from './units.js';

/** The first disk, in inventory order, that satisfies every hint; null when none does. */
export function matchRootDevice<D extends InventoryDisk>(
  disks: readonly D[],
  hints: readonly RootDeviceHint[],
): D | null {
  return disks.find((disk) => hints.every((hint) => diskMatches(disk, hint))) ?? null;
}

export function diskMatches(disk: InventoryDisk, hint: RootDeviceHint): boolean {
  switch (hint.name) {
    case 'rotational':
      return booleanFrom(disk.rotational) === hint.values[0];
    case 'size':
      // Sizes are whole GiB: a 447.1 GiB SSD matches "size: 447".
      return (
        typeof disk.size === 'number' && compareNumber(wholeGiB(disk.size), hint.op, hint.values)
      );
    default:
      return compareString(diskText(disk, hint.name), hint.op, hint.values);
  }
}

/** The disk's value for a string hint, normalized; null when absent (never matches, as in Ironic). */
function diskText(disk: InventoryDisk, name: StringHintName): string | null {
  const value = disk[name];
  if (value === null || value === undefined) return null;
  const text = normalizeHintString(name, String(value));
  return text === '' ? null : text;
}

function compareString(actual: string | null, op: StringOperator, values: string[]): boolean {
  if (actual === null) return false;
  const [expected = ''] = values;
  switch (op) {
    case 's==':
      return actual === expected;
    case 's!=':
      return actual !== expected;
    case 's<':
      return actual < expected;
    case 's<=':
      return actual <= expected;
    case 's>':
      return actual > expected;
    case 's>=':
      return actual >= expected;
    case '<in>':
      return actual.includes(expected);
    case '<or>':
      return values.includes(actual);
  }
}

function compareNumber(actual: number, op: NumberOperator, values: number[]): boolean {
  const [expected = NaN] = values;
  switch (op) {
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '>=':
    case '=':
      return actual >= expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '<':
      return actual < expected;
    case '<or>':
      return values.includes(actual);
  }
}
