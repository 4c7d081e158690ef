import { Type, type Static } from '@sinclair/typebox';
import { TraitSchema } from './trait.js';

const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

/**
 * The interfaces a deploy step may belong to (Ironic's DEPLOYING_INTERFACE_PRIORITY), highest
 * priority first: of two steps of equal priority, the one of the earlier interface runs first.
 */
export const DEPLOY_STEP_INTERFACES = [
  'vendor',
  'power',
  'management',
  'firmware',
  'deploy',
  'bios',
  'raid',
  'network',
  'storage',
] as const;

/** One deploy step of a template (Ironic's DEPLOY_STEP_SCHEMA); priority 0 disables it. */
export const DeployStepSchema = Type.Object(
  {
    interface: Type.Union(DEPLOY_STEP_INTERFACES.map((i) => Type.Literal(i))),
    step: Type.String({ minLength: 1 }),
    args: Type.Record(Type.String(), Type.Unknown()),
    // Ironic also takes the priority as a string of digits, and stores it as an integer.
    priority: Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]+$' })]),
  },
  { additionalProperties: false },
);
export type DeployStep = Static<typeof DeployStepSchema>;

/** Body of POST /v1/deploy_templates (Ironic's TEMPLATE_SCHEMA at 1.55). */
export const DeployTemplateCreateSchema = Type.Object(
  {
    uuid: Type.Optional(Type.Union([Uuid, Type.Null()])),
    name: TraitSchema,
    steps: Type.Array(DeployStepSchema, { minItems: 1 }),
    extra: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  },
  { additionalProperties: false },
);
export type DeployTemplateCreate = Static<typeof DeployTemplateCreateSchema>;
