import { RuleError } from './rule-error.js';

/**
 * Splits an attribute path the way Ironic does: slash notation ("/driver_info/x") when it has
 * a slash, dot notation ("driver_info.x") otherwise.
 */
export function splitPath(path: string): string[] {
  const parts = path.includes('/') ? path.replace(/^\/+|\/+$/g, '').split('/') : path.split('.');
  if (parts.some((p) => p === '')) throw new RuleError(`invalid path '${path}'`);
  return parts;
}

/** A JSON pointer for the patch: "/properties/capabilities". */
export const toPointer = (parts: readonly string[]): string =>
  parts.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

export type JsonObject = Record<string, unknown>;

export const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export function getAt(root: JsonObject, parts: readonly string[]): unknown {
  let current: unknown = root;
  for (const part of parts) {
    if (!isObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Sets a value, creating missing objects on the way (Ironic's setdefault(part, {})). */
export function setAt(root: JsonObject, parts: readonly string[], value: unknown): void {
  const parent = parentOf(root, parts, true);
  parent[parts[parts.length - 1] as string] = value;
}

/** Deletes a value; true when there was one. A missing branch is no error, as in Ironic. */
export function deleteAt(root: JsonObject, parts: readonly string[]): boolean {
  const parent = parentOf(root, parts, false);
  const key = parts[parts.length - 1] as string;
  if (!parent || !(key in parent)) return false;
  delete parent[key];
  return true;
}

function parentOf(root: JsonObject, parts: readonly string[], create: true): JsonObject;
function parentOf(root: JsonObject, parts: readonly string[], create: false): JsonObject | null;
function parentOf(root: JsonObject, parts: readonly string[], create: boolean): JsonObject | null {
  let current = root;
  for (const [i, part] of parts.slice(0, -1).entries()) {
    const next = current[part];
    if (next === undefined && create) {
      current = current[part] = {};
    } else if (isObject(next)) {
      current = next;
    } else if (next === undefined) {
      return null;
    } else {
      throw new RuleError(`'${toPointer(parts.slice(0, i + 1))}' is not an object`);
    }
  }
  return current;
}
