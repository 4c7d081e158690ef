import { createHash } from 'node:crypto';
import type { SettingSchema } from '@ingot/metal3';
import type { BiosSettingRow } from '@ingot/store';

// The BIOS registry as Metal3 words it (FirmwareSchema): what each setting is and takes.

/** A setting Metal3 never shows nor sets (baremetal-operator skips names with "Password"). */
export const isPassword = (name: string) => name.includes('Password');

/** One cached BIOS setting's registry fields, as a FirmwareSchema entry (nulls left out). */
export function settingSchemaOf(row: BiosSettingRow): SettingSchema {
  const schema: SettingSchema = {};
  if (row.attributeType)
    schema.attribute_type = row.attributeType as SettingSchema['attribute_type'];
  if (row.allowableValues) schema.allowable_values = row.allowableValues;
  if (row.lowerBound !== null) schema.lower_bound = row.lowerBound;
  if (row.upperBound !== null) schema.upper_bound = row.upperBound;
  if (row.minLength !== null) schema.min_length = row.minLength;
  if (row.maxLength !== null) schema.max_length = row.maxLength;
  if (row.readOnly !== null) schema.read_only = row.readOnly;
  if (row.unique !== null) schema.unique = row.unique;
  return schema;
}

/** The FirmwareSchema of a node's settings: every registry entry but the passwords. */
export function firmwareSchemaOf(rows: readonly BiosSettingRow[]): Record<string, SettingSchema> {
  return Object.fromEntries(
    rows
      .filter((row) => !isPassword(row.name) && row.attributeType !== 'Password')
      .map((row) => [row.name, settingSchemaOf(row)]),
  );
}

/**
 * baremetal-operator's GetSchemaName: `schema-` and 8 hex digits of a hash of every name, type,
 * allowed value, bound, length and read_only flag (sorted), so servers with the same registry
 * share one FirmwareSchema and the name is the same one Metal3 would choose.
 */
export function schemaNameOf(schema: Record<string, SettingSchema>): string {
  const keys: string[] = [];
  for (const [name, entry] of Object.entries(schema)) {
    keys.push(name, entry.attribute_type ?? '', ...(entry.allowable_values ?? []));
    for (const bound of [entry.lower_bound, entry.upper_bound, entry.min_length, entry.max_length])
      if (bound !== undefined) keys.push(String(bound));
    if (entry.read_only !== undefined) keys.push(String(entry.read_only));
  }
  keys.sort();
  // Go's fmt %v of a []string: the items between brackets, separated by spaces.
  const hash = createHash('sha256')
    .update(`[${keys.join(' ')}]`)
    .digest('hex');
  return `schema-${hash.slice(0, 8)}`;
}

/**
 * Why a desired value is refused (Metal3's SettingSchema.Validate), or undefined when it is
 * acceptable. A setting the registry does not describe is refused.
 */
export function settingProblem(
  name: string,
  value: number | string,
  schema: SettingSchema | undefined,
): string | undefined {
  const invalid = (why: string) => `Setting ${name} is invalid, ${why}`;
  if (!schema) return invalid('it is not in the associated schema');
  if (schema.read_only) return invalid('it is ReadOnly');
  if (isPassword(name)) return invalid("Password fields can't be set");
  const text = String(value);
  switch (schema.attribute_type) {
    case 'Enumeration':
      return (schema.allowable_values ?? []).includes(text)
        ? undefined
        : invalid(`unknown enumeration value - ${text}`);
    case 'Integer': {
      if (!/^[+-]?\d+$/.test(text.trim()))
        return invalid(`String ${text} entered while integer expected`);
      const n = Number(text);
      if (schema.lower_bound !== undefined && n < schema.lower_bound)
        return invalid(`integer ${n} is below minimum value ${schema.lower_bound}`);
      if (schema.upper_bound !== undefined && n > schema.upper_bound)
        return invalid(`integer ${n} is above maximum value ${schema.upper_bound}`);
      return undefined;
    }
    case 'String':
      if (schema.min_length !== undefined && text.length < schema.min_length)
        return invalid(`string ${text} length is below minimum length ${schema.min_length}`);
      if (schema.max_length !== undefined && text.length > schema.max_length)
        return invalid(`string ${text} length is above maximum length ${schema.max_length}`);
      return undefined;
    case 'Boolean':
      return text === 'true' || text === 'false' ? undefined : invalid(`${text} is not a boolean`);
    case 'Password':
      return invalid('passwords are immutable');
    case undefined:
      // The registry may not have been read: the BMC decides.
      return undefined;
    default:
      return invalid(`unexpected attribute type ${String(schema.attribute_type)}`);
  }
}
