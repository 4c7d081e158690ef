import { Type, type Static } from '@sinclair/typebox';

const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

/** Body of POST /v1/chassis (Ironic's CHASSIS_SCHEMA). */
export const ChassisCreateSchema = Type.Object(
  {
    uuid: Type.Optional(Type.Union([Uuid, Type.Null()])),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    extra: Type.Optional(
      Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
);
export type ChassisCreate = Static<typeof ChassisCreateSchema>;
