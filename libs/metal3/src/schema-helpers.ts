import { Kind, type SchemaOptions, type TSchema, Type, TypeRegistry } from '@sinclair/typebox';

export interface TStringEnum<T extends readonly string[]> extends TSchema {
  [Kind]: 'Metal3StringEnum';
  static: T[number];
  type: 'string';
  enum: T;
}

// Registered so that TypeBox's Value.Check understands the kind.
TypeRegistry.Set<TStringEnum<readonly string[]>>(
  'Metal3StringEnum',
  (schema, value) => typeof value === 'string' && schema.enum.includes(value),
);

/**
 * A string that is one of `values`, as a plain `enum`: CRD schemas take `enum`, not the
 * `anyOf`/`const` that TypeBox's literal unions produce.
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TStringEnum<T> {
  return {
    ...options,
    [Kind]: 'Metal3StringEnum',
    type: 'string',
    enum: values,
  } as unknown as TStringEnum<T>;
}

/** An RFC 3339 timestamp, as Kubernetes writes metav1.Time. */
export const Timestamp = (options: SchemaOptions = {}) =>
  Type.String({ format: 'date-time', ...options });

/** A MAC address such as 52:54:00:12:34:56 (upstream leaves this pattern unanchored). */
export const MAC_PATTERN = '[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}';
