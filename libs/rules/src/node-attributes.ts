import { RuleError } from './rule-error.js';
import { splitPath, toPointer } from './paths.js';

/** Node fields holding objects, which rules may change at any depth. */
export const OBJECT_NODE_FIELDS = ['properties', 'extra', 'driver_info', 'instance_info'] as const;
/** Node fields holding one value, which rules may replace. */
export const SCALAR_NODE_FIELDS = [
  'driver',
  'name',
  'description',
  'resource_class',
  'owner',
  'lessee',
] as const;

/**
 * The parts of a node attribute path a rule may change. States, identity, traits (add-trait)
 * and capabilities' own fields stay out of reach.
 */
export function nodeAttributePath(path: unknown): string[] {
  const parts = splitPath(String(path));
  const [field = ''] = parts;
  const isObjectField = (OBJECT_NODE_FIELDS as readonly string[]).includes(field);
  const isScalarField = (SCALAR_NODE_FIELDS as readonly string[]).includes(field);
  if (!isObjectField && !isScalarField) {
    throw new RuleError(
      `'${toPointer(parts)}' is not a node attribute rules may change ` +
        `(${[...OBJECT_NODE_FIELDS, ...SCALAR_NODE_FIELDS].join(', ')})`,
    );
  }
  if (isScalarField && parts.length > 1) {
    throw new RuleError(`'${toPointer(parts)}' goes inside ${field}, which holds a single value`);
  }
  return parts;
}

export const isObjectField = (parts: readonly string[]): boolean =>
  parts.length === 1 && (OBJECT_NODE_FIELDS as readonly string[]).includes(parts[0] ?? '');
