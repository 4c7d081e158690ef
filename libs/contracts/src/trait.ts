import { Type } from '@sinclair/typebox';

/**
 * A trait name as Ironic's TRAITS_SCHEMA takes it: a custom trait (CUSTOM_ then A-Z, 0-9, _) or
 * one shaped like os-traits' standard ones (Ingot does not carry the os-traits catalogue, so a
 * standard name is not checked against it), at most 255 characters.
 */
export const TraitSchema = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^(CUSTOM_[A-Z0-9_]+|[A-Z][A-Z0-9_]*)$',
});
