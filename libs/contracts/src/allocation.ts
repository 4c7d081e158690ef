import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TraitSchema } from './trait.js';

const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** An allocation's name: Ironic's logical name (a host name or a URL-safe word). */
export const AllocationNameSchema = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[A-Za-z0-9._~-]+$',
});

/** Allocation states (Ironic's ALLOCATING, ACTIVE, ERROR). */
export const ALLOCATION_STATES = ['allocating', 'active', 'error'] as const;
export type AllocationState = (typeof ALLOCATION_STATES)[number];

/** Body of POST /v1/allocations (Ironic's ALLOCATION_SCHEMA; `node`, the backfill of 1.58, aside). */
export const AllocationCreateSchema = Type.Object(
  {
    uuid: Type.Optional(Nullable(Uuid)),
    name: Type.Optional(Nullable(AllocationNameSchema)),
    resource_class: Type.Optional(Nullable(Type.String({ maxLength: 80 }))),
    traits: Type.Optional(Type.Union([Type.Array(TraitSchema), Type.Null()])),
    candidate_nodes: Type.Optional(
      Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 255 })), Type.Null()]),
    ),
    extra: Type.Optional(Nullable(Type.Object({}, { additionalProperties: true }))),
    owner: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
  },
  { additionalProperties: false },
);
export type AllocationCreate = Static<typeof AllocationCreateSchema>;
