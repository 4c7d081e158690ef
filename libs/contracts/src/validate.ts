import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

/** One failed field: its JSON pointer path (e.g. /driver_info/redfish_address) and why. */
export interface FieldError {
  path: string;
  message: string;
}

export class ValidationError extends Error {
  constructor(
    readonly what: string,
    readonly errors: FieldError[],
  ) {
    super(
      `Invalid ${what}: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`,
    );
    this.name = 'ValidationError';
  }
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checkerFor<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check as TypeCheck<T>;
}

/** Field errors of `value` against `schema`, at most `limit` of them; empty when valid. */
export function validationErrors(schema: TSchema, value: unknown, limit = 10): FieldError[] {
  const errors: FieldError[] = [];
  for (const error of checkerFor(schema).Errors(value)) {
    errors.push({ path: error.path, message: error.message });
    if (errors.length >= limit) break;
  }
  return errors;
}

/** Returns `value` typed by `schema`, or throws a ValidationError naming each bad field. */
export function parse<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  if (checkerFor(schema).Check(value)) return value as Static<T>;
  throw new ValidationError(what, validationErrors(schema, value));
}
