import { type SchemaOptions, Type } from '@sinclair/typebox';

// CRD schemas take a plain `enum`, which contracts' StringEnum produces (not TypeBox's anyOf/const).
export { StringEnum } from '@ingot/contracts';

/** An RFC 3339 timestamp, as Kubernetes writes metav1.Time. */
export const Timestamp = (options: SchemaOptions = {}) =>
  Type.String({ format: 'date-time', ...options });

/** A MAC address such as 52:54:00:12:34:56 (upstream leaves this pattern unanchored). */
export const MAC_PATTERN = '[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}';
