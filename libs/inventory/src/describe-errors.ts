import { Kind, type TSchema } from '@sinclair/typebox';
import { MAC_ADDRESS_PATTERN, validationErrors } from '@ingot/contracts';
import { quote } from './quote.js';

/**
 * Turns schema violations into sentences an operator can act on in last_error, e.g.
 * "inventory.cpu.count must be an integer >= 1". TypeBox reports several errors per field
 * (type, minimum, required...) and only "Expected union value" for unions, so we keep one
 * error per path and describe it from the schema and the value rather than from TypeBox's text.
 */
export function describeSchemaErrors(schema: TSchema, value: unknown, root: string): string[] {
  return describe(schema, value, []).map(({ keys, text }) => `${readablePath(root, keys)} ${text}`);
}

function describe(
  schema: TSchema,
  value: unknown,
  at: string[],
): { keys: string[]; text: string }[] {
  const paths = [...new Set(validationErrors(schema, value, 100).map((e) => e.path))];
  // A parent reported missing or mistyped makes its children's errors noise.
  const reported = paths.filter(
    (path) => !paths.some((other) => other !== path && path.startsWith(`${other}/`)),
  );
  return reported.flatMap((path) => {
    const keys = pointerKeys(path);
    const expected = schemaAt(schema, keys);
    const found = valueAt(value, keys);
    // For "an object or null" and the like, say what is wrong inside the object.
    const branch = expected && onlyBranchLike(expected, found);
    if (branch) return describe(branch, found, [...at, ...keys]);
    return [{ keys: [...at, ...keys], text: problem(expected, found) }];
  });
}

function onlyBranchLike(schema: TSchema, value: unknown): TSchema | undefined {
  if (!schema.anyOf || value === null || typeof value !== 'object') return undefined;
  const type = Array.isArray(value) ? 'array' : 'object';
  const branches = (schema.anyOf as TSchema[]).filter((b) => b.type === type);
  return branches.length === 1 ? branches[0] : undefined;
}

function pointerKeys(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function readablePath(root: string, keys: string[]): string {
  return keys.reduce((acc, key) => (/^\d+$/.test(key) ? `${acc}[${key}]` : `${acc}.${key}`), root);
}

function valueAt(value: unknown, keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function schemaAt(schema: TSchema, keys: string[]): TSchema | undefined {
  let current: TSchema | undefined = schema;
  for (const key of keys) {
    current = current && childSchema(current, key);
  }
  return current;
}

function childSchema(schema: TSchema, key: string): TSchema | undefined {
  if (schema.anyOf) {
    for (const branch of schema.anyOf as TSchema[]) {
      const child = childSchema(branch, key);
      if (child) return child;
    }
    return undefined;
  }
  if (schema.type === 'object') {
    const properties = schema.properties as Record<string, TSchema> | undefined;
    const additional = schema.additionalProperties as TSchema | boolean | undefined;
    return properties?.[key] ?? (typeof additional === 'object' ? additional : undefined);
  }
  if (schema.type === 'array') {
    if (Array.isArray(schema.items)) return (schema.items as TSchema[])[Number(key)];
    return schema.items as TSchema | undefined;
  }
  return undefined;
}

function problem(schema: TSchema | undefined, value: unknown): string {
  if (value === undefined) return 'is required';
  if (!schema) return 'is not allowed here';
  if (schema.pattern === MAC_ADDRESS_PATTERN && typeof value === 'string') {
    return `${quote(value)} is not a MAC address`;
  }
  if (schema.type === 'array' && Array.isArray(value) && typeof schema.minItems === 'number') {
    if (value.length < schema.minItems) {
      return `must list at least ${schema.minItems} ${schema.minItems === 1 ? 'entry' : 'entries'}`;
    }
  }
  if (schema.type === 'string' && value === '' && schema.minLength) return 'must not be empty';
  if (schema.anyOf && schema.description && isPlainObject(value)) {
    return `must have ${schema.description as string}`;
  }
  return `must be ${expectation(schema)}`;
}

/** A noun phrase for what the schema accepts: "an integer >= 1", "a string or null". */
function expectation(schema: TSchema): string {
  if (schema.anyOf) return (schema.anyOf as TSchema[]).map(expectation).join(' or ');
  if (schema[Kind] === 'StringEnum' || Array.isArray(schema.enum)) {
    return `one of ${(schema.enum as string[]).join(', ')}`;
  }
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const noun = schema.type === 'integer' ? 'an integer' : 'a number';
      const bounds = [
        typeof schema.minimum === 'number' ? `>= ${schema.minimum}` : '',
        typeof schema.maximum === 'number' ? `<= ${schema.maximum}` : '',
      ].filter(Boolean);
      return [noun, ...bounds].join(' ');
    }
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'null':
      return 'null';
    case 'array':
      return schema.items && Array.isArray(schema.items)
        ? `a list of ${(schema.items as TSchema[]).length} items`
        : 'a list';
    case 'object':
      return 'an object';
    default:
      return 'valid';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
