// Ironic's inspection rules (API 1.96): the rule schema, validation before a rule is stored
// (the API) and the pure engine that runs rules on inspected data (the inspector).
export * from './rule-schema.js';
export * from './validate-rule.js';
export * from './apply-rules.js';
export { ACTIONS, LOG_LEVELS, TRAIT_PATTERN, type PatchOperation } from './actions.js';
export { CONDITION_OPERATORS } from './operators.js';
export { interpolate, type InterpolationContext } from './interpolate.js';
export { OBJECT_NODE_FIELDS, SCALAR_NODE_FIELDS } from './node-attributes.js';
