import { describeSchemaErrors, quote } from '@ingot/inventory';
import { ACTIONS, LOG_LEVELS, TRAIT_PATTERN } from './actions.js';
import { namedArgs, parseOperator } from './args.js';
import { hasReference } from './interpolate.js';
import { nodeAttributePath } from './node-attributes.js';
import { CONDITION_OPERATORS } from './operators.js';
import { pythonRegex } from './regex.js';
import { RuleError } from './rule-error.js';
import {
  InspectionRuleSchema,
  type InspectionRule,
  type RuleActionSpec,
  type RuleCondition,
  type ValidRule,
} from './rule-schema.js';

export type RuleValidation = { ok: true; rule: ValidRule } | { ok: false; message: string };

/**
 * Checks a rule before it is stored or run: its shape, that every operator and action exists,
 * their arguments, and whatever can be known without inspected data (regular expressions,
 * attribute paths, log levels, trait names). The message names the rule and each problem; for
 * a sensitive rule it leaves out the values it found (an API client may not see them).
 */
export function validateRule(raw: unknown, index?: number): RuleValidation {
  const label = ruleLabel(raw, index);
  const invalid = (problems: string[]) => ({
    ok: false as const,
    message: `Inspection rule ${label} is invalid: ${problems.join('; ')}`,
  });
  const shape = describeSchemaErrors(InspectionRuleSchema, raw, 'rule');
  if (shape.length > 0) return invalid(shape);
  const rule = raw as InspectionRule;
  const sensitive = rule.sensitive ?? false;
  const problems = [
    ...(rule.conditions ?? []).flatMap((c, i) =>
      conditionProblems(c, sensitive).map((p) => `condition ${i + 1}: ${p}`),
    ),
    ...rule.actions.flatMap((a, i) =>
      actionProblems(a, sensitive).map((p) => `action ${i + 1}: ${p}`),
    ),
  ];
  if (problems.length > 0) return invalid(problems);
  return {
    ok: true,
    rule: {
      ...rule,
      description: rule.description ?? null,
      priority: rule.priority ?? 0,
      sensitive: rule.sensitive ?? false,
      phase: rule.phase ?? 'main',
      conditions: rule.conditions ?? [],
    },
  };
}

/** How logs and errors name a rule: "'description' (uuid)", the uuid, or its position. */
export function ruleLabel(rule: unknown, index?: number): string {
  const { uuid, description } = (rule ?? {}) as { uuid?: unknown; description?: unknown };
  const id = typeof uuid === 'string' ? uuid : index === undefined ? null : `#${index + 1}`;
  if (typeof description === 'string' && description) {
    return id ? `'${description}' (${id})` : `'${description}'`;
  }
  return id ?? '(unnamed)';
}

function conditionProblems(condition: RuleCondition, sensitive: boolean): string[] {
  const op = parseOperator(condition.op);
  if (typeof op === 'string') return [op];
  const operator = CONDITION_OPERATORS[op.name];
  if (!operator) {
    return [
      `unknown operator '${op.name}' (operators: ${Object.keys(CONDITION_OPERATORS).join(', ')})`,
    ];
  }
  const args = namedArgs(operator, condition.args);
  if (typeof args === 'string') return [`${op.name} ${args}`];
  return staticProblems(op.name, sensitive, () => {
    if (['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'one-of'].includes(op.name)) listArgument(args.values);
    if (op.name === 'matches' || op.name === 'contains') {
      if (!hasReference(args.regex)) pythonRegex(String(args.regex), false);
    }
    if (op.name === 'in-net' && !hasReference(args.subnet)) {
      // Checking any address validates the subnet, which is all we know now.
      operator.check({ address: '', subnet: args.subnet });
    }
  });
}

function actionProblems(action: RuleActionSpec, sensitive: boolean): string[] {
  const spec = ACTIONS[action.op];
  if (!spec) {
    return [`unknown action '${action.op}' (actions: ${Object.keys(ACTIONS).join(', ')})`];
  }
  const args = namedArgs(spec, action.args);
  if (typeof args === 'string') return [`${action.op} ${args}`];
  return staticProblems(action.op, sensitive, () => {
    if (action.op.endsWith('-attribute') && !hasReference(args.path)) {
      const parts = nodeAttributePath(args.path);
      if (action.op === 'del-attribute' && parts.length === 1) {
        throw new RuleError(`'/${parts[0]}' cannot be deleted`);
      }
    }
    if (action.op === 'log' && args.level !== undefined && !hasReference(args.level)) {
      if (!(LOG_LEVELS as readonly string[]).includes(String(args.level).toLowerCase())) {
        throw new RuleError(`invalid log level (${LOG_LEVELS.join(', ')})`, quote(args.level));
      }
    }
    if (action.op.endsWith('-trait') && !hasReference(args.name)) {
      if (!TRAIT_PATTERN.test(String(args.name))) {
        throw new RuleError('invalid trait (use A-Z, 0-9 and _)', quote(args.name));
      }
    }
  });
}

function listArgument(values: unknown): void {
  if (!Array.isArray(values) && !hasReference(values)) {
    throw new RuleError("'values' must be a list");
  }
}

/** Runs the checks that need no inspected data; a RuleError becomes a problem. */
function staticProblems(op: string, sensitive: boolean, checks: () => void): string[] {
  try {
    checks();
    return [];
  } catch (error) {
    if (error instanceof RuleError) return [`${op}: ${error.describe(sensitive)}`];
    throw error;
  }
}
