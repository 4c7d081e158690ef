import { Type, type Static } from '@sinclair/typebox';

/**
 * One BIOS setting as Ironic keeps it (ironic/objects/bios.py): the value as a string, and what
 * the BMC's attribute registry says of it (API 1.74), null where the registry does not say.
 */
export const BiosSettingSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  value: Type.Union([Type.String(), Type.Null()]),
  attribute_type: Type.Union([Type.String(), Type.Null()]),
  allowable_values: Type.Union([Type.Array(Type.String()), Type.Null()]),
  lower_bound: Type.Union([Type.Integer(), Type.Null()]),
  upper_bound: Type.Union([Type.Integer(), Type.Null()]),
  min_length: Type.Union([Type.Integer(), Type.Null()]),
  max_length: Type.Union([Type.Integer(), Type.Null()]),
  read_only: Type.Union([Type.Boolean(), Type.Null()]),
  reset_required: Type.Union([Type.Boolean(), Type.Null()]),
  unique: Type.Union([Type.Boolean(), Type.Null()]),
});
export type BiosSetting = Static<typeof BiosSettingSchema>;

/** A setting asked for by apply_configuration: Ironic's {"name": ..., "value": ...}. */
export const BiosSettingChangeSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
});
export type BiosSettingChange = Static<typeof BiosSettingChangeSchema>;
