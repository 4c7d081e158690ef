import { Type, type Static } from '@sinclair/typebox';
import { HardwareDetailsSchema } from './hardware.js';
import { typeMetaProperties } from './object-meta.js';

export const HardwareDataSpecSchema = Type.Object(
  { hardware: Type.Optional(HardwareDetailsSchema) },
  { description: 'The inspection results.' },
);
export type HardwareDataSpec = Static<typeof HardwareDataSpecSchema>;

export const HardwareDataSchema = Type.Object(
  { ...typeMetaProperties, spec: Type.Optional(HardwareDataSpecSchema) },
  { description: 'What inspection found on the BareMetalHost of the same name and namespace.' },
);
export type HardwareData = Static<typeof HardwareDataSchema>;
