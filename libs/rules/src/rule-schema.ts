import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '@ingot/contracts';

/** Arguments by name, or (deprecated in Ironic, still accepted) by position. */
const ArgsSchema = Type.Union([
  Type.Record(Type.String(), Type.Unknown()),
  Type.Array(Type.Unknown()),
]);

/**
 * What a condition or action repeats over, exposed as {item}: a list, one object (Ironic runs
 * it once), or, as an Ingot extension, a reference to a list in the data: "{inventory[disks]}".
 */
const LoopSchema = Type.Union([
  Type.Array(Type.Unknown()),
  Type.Record(Type.String(), Type.Unknown()),
  Type.String({ pattern: '^\\{.*\\}$' }),
]);

export const LOOP_MULTIPLE = ['any', 'all', 'first', 'last'] as const;

export const RuleConditionSchema = Type.Object(
  {
    op: Type.String({ minLength: 1, description: 'an operator, "!" in front inverts it' }),
    args: ArgsSchema,
    invert: Type.Optional(Type.Boolean()),
    loop: Type.Optional(LoopSchema),
    /** How loop results combine: any (default), all, first or last iteration. */
    multiple: Type.Optional(StringEnum(LOOP_MULTIPLE)),
  },
  { additionalProperties: false },
);
export type RuleCondition = Static<typeof RuleConditionSchema>;

export const RuleActionSchema = Type.Object(
  { op: Type.String({ minLength: 1 }), args: ArgsSchema, loop: Type.Optional(LoopSchema) },
  { additionalProperties: false },
);
export type RuleActionSpec = Static<typeof RuleActionSchema>;

export const INSPECTION_PHASES = ['main'] as const;

/** An inspection rule as the API takes it (Ironic API 1.96 /v1/inspection_rules). */
export const InspectionRuleSchema = Type.Object(
  {
    uuid: Type.Optional(Type.String({ minLength: 1, maxLength: 36 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    /** Higher runs first; equal priorities keep their given order. */
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 9999, default: 0 })),
    /** A sensitive rule sees secrets unmasked and keeps inspected values out of its logs. */
    sensitive: Type.Optional(Type.Boolean({ default: false })),
    phase: Type.Optional(StringEnum(INSPECTION_PHASES, { default: 'main' })),
    conditions: Type.Optional(Type.Array(RuleConditionSchema, { default: [] })),
    actions: Type.Array(RuleActionSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type InspectionRule = Static<typeof InspectionRuleSchema>;

/** A validated rule with its defaults filled in. */
export type ValidRule = Required<Omit<InspectionRule, 'uuid' | 'description'>> &
  Pick<InspectionRule, 'uuid'> & { description: string | null };
