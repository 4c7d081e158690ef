import { booleanFieldOf } from './node-commands.js';

/** Fields of a port that Ironic types as booleans (types.boolean: the strings count too). */
export const PORT_BOOLEAN_FIELDS = ['pxe_enabled', 'is_smartnic'] as const;
/** The same of a port group. */
export const PORTGROUP_BOOLEAN_FIELDS = ['standalone_ports_supported'] as const;

/** `T` with the fields `K` read as booleans. */
export type WithBooleans<T, K extends string> = Omit<T, K> & { [F in K]?: boolean | null };

/**
 * `doc` with each of `fields` that holds a value read as a boolean ("False" is false), so that a
 * real boolean is stored; null and absent stay so. A value that is no boolean is a 400 naming the
 * field.
 */
export function readBooleans<T extends object, K extends string>(
  doc: T,
  fields: readonly K[],
): WithBooleans<T, K> {
  const out = { ...doc } as Record<string, unknown>;
  for (const field of fields) {
    if (out[field] !== undefined && out[field] !== null)
      out[field] = booleanFieldOf(field, out[field]);
  }
  return out as WithBooleans<T, K>;
}
