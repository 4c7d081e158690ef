import { Kind, type TSchema, TypeRegistry, type SchemaOptions } from '@sinclair/typebox';

export interface TStringEnum<T extends readonly string[]> extends TSchema {
  [Kind]: 'StringEnum';
  static: T[number];
  type: 'string';
  enum: T;
}

// Registered once so TypeBox's compiler can check the kind; Ajv (Fastify) reads plain `enum`.
TypeRegistry.Set<TStringEnum<readonly string[]>>(
  'StringEnum',
  (schema, value) => typeof value === 'string' && schema.enum.includes(value),
);

/**
 * A string that is one of `values`, as a JSON Schema `enum`: errors then read "must be equal to
 * one of the allowed values" instead of one "anyOf" failure per literal.
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TStringEnum<T> {
  return {
    ...options,
    [Kind]: 'StringEnum',
    type: 'string',
    enum: values,
  } as unknown as TStringEnum<T>;
}
