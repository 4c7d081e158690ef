import { quote } from '@ingot/inventory';
import { ACTIONS, type PatchOperation, type RuleState } from './actions.js';
import { namedArgs, parseOperator } from './args.js';
import { readCapabilities } from './capabilities.js';
import { interpolate, render, type InterpolationContext } from './interpolate.js';
import { maskSecrets } from './mask-secrets.js';
import { CONDITION_OPERATORS, type Args } from './operators.js';
import { isObject, splitPath, toPointer, type JsonObject } from './paths.js';
import { RuleError, RuleFailure } from './rule-error.js';
import type { RuleActionSpec, RuleCondition, ValidRule } from './rule-schema.js';
import { ruleLabel, validateRule } from './validate-rule.js';

/** The node as rules see it: any fields, the ones below being the ones they change. */
export interface RuleNode {
  uuid?: string;
  name?: string | null;
  driver?: string;
  properties?: JsonObject;
  extra?: JsonObject;
  driver_info?: JsonObject;
  instance_info?: JsonObject;
  traits?: string[];
  [field: string]: unknown;
}

export interface RulesInput {
  node: RuleNode;
  inventory: unknown;
  pluginData?: JsonObject;
}

export interface RulesOutcome {
  /** Node changes in order, JSON-Patch style ("add" replaces and creates parents). */
  patch: PatchOperation[];
  traits: { add: string[]; remove: string[] };
  /** The plugin data as the rules left it. */
  pluginData: JsonObject;
  logs: string[];
  /** Labels of the rules whose conditions held, in the order they ran. */
  applied: string[];
  /** Set when a rule failed inspection (`fail`) or could not run; later rules did not run. */
  failed?: string;
}

/**
 * Runs inspection rules on inspected data, purely: higher priority first (ties keep their
 * order), a rule's actions only when all its conditions hold, each rule seeing the changes of
 * the rules before it. The caller applies the outcome; on `failed` it should fail inspection.
 */
export function applyRules(rules: readonly unknown[], input: RulesInput): RulesOutcome {
  const state: RuleState = {
    node: structuredClone(input.node) as JsonObject,
    traits: new Set(input.node.traits ?? []),
    pluginData: structuredClone(input.pluginData ?? {}),
    patch: [],
  };
  const outcome = (logs: string[], applied: string[], failed?: string): RulesOutcome => ({
    patch: state.patch,
    traits: {
      add: [...state.traits].filter((t) => !input.node.traits?.includes(t)),
      remove: (input.node.traits ?? []).filter((t) => !state.traits.has(t)),
    },
    pluginData: state.pluginData,
    logs,
    applied,
    ...(failed === undefined ? {} : { failed }),
  });

  const validated: { rule: ValidRule; label: string }[] = [];
  for (const [index, raw] of rules.entries()) {
    const result = validateRule(raw, index);
    if (!result.ok) return outcome([result.message], [], result.message);
    validated.push({ rule: result.rule, label: ruleLabel(raw, index) });
  }
  validated.sort((a, b) => b.rule.priority - a.rule.priority);

  const logs: string[] = [];
  const applied: string[] = [];
  for (const { rule, label } of validated) {
    const say = (text: string) => logs.push(`rule ${label}: ${text}`);
    const run = new RuleRun(rule, state, input.inventory, say);
    try {
      const unmet = rule.conditions.findIndex((condition) => !run.holds(condition));
      if (unmet >= 0) {
        say(`skipped, condition ${unmet + 1} (${rule.conditions[unmet]?.op}) does not hold`);
        continue;
      }
      applied.push(label);
      for (const action of rule.actions) run.act(action);
    } catch (error) {
      if (error instanceof RuleFailure) {
        say(`fail: ${error.message}`);
        return outcome(logs, applied, error.message);
      }
      if (error instanceof RuleError) {
        const failed = `Inspection rule ${label} failed: ${error.describe(rule.sensitive)}`;
        logs.push(failed);
        return outcome(logs, applied, failed);
      }
      throw error;
    }
  }
  return outcome(logs, applied);
}

const NO_ITEM = Symbol('no loop');

/** One rule's evaluation against the current state. */
class RuleRun {
  constructor(
    private readonly rule: ValidRule,
    private readonly state: RuleState,
    private readonly inventory: unknown,
    private readonly say: (text: string) => void,
  ) {}

  holds(condition: RuleCondition): boolean {
    const op = parseOperator(condition.op) as { name: string; inverted: boolean };
    const operator = CONDITION_OPERATORS[op.name];
    if (!operator) throw new RuleError(`unknown operator '${op.name}'`);
    const inverted = op.inverted !== (condition.invert === true);
    const raw = namedArgs(operator, condition.args) as Args;
    const check = (item: unknown) => {
      const args = this.interpolated(raw, item, condition.op) as Args;
      return operator.check(args) !== inverted;
    };
    if (condition.loop === undefined) return check(NO_ITEM);
    const items = this.loopItems(condition.loop);
    switch (condition.multiple ?? 'any') {
      case 'all':
        return items.every(check);
      case 'first':
        return items.length > 0 && check(items[0]);
      case 'last':
        return items.length > 0 && check(items[items.length - 1]);
      default:
        return items.some(check);
    }
  }

  act(action: RuleActionSpec): void {
    const spec = ACTIONS[action.op];
    if (!spec) throw new RuleError(`unknown action '${action.op}'`);
    const raw = namedArgs(spec, action.args) as Args;
    const items = action.loop === undefined ? [NO_ITEM] : this.loopItems(action.loop);
    for (const item of items) {
      const args = this.interpolated(raw, item, action.op) as Args;
      const sensitive = this.rule.sensitive;
      const log = (text: string) => this.say(`${action.op}: ${text}`);
      spec.run(args, { state: this.state, raw, sensitive, log });
      if (action.op !== 'log')
        this.say(describeAction(action.op, sensitive ? raw : args, sensitive));
    }
  }

  /** The data a reference sees now: secrets masked unless the rule is sensitive. */
  private context(item: unknown): InterpolationContext {
    const node = {
      ...this.state.node,
      traits: [...this.state.traits],
      capabilities: Object.fromEntries(
        readCapabilities(
          isObject(this.state.node.properties) && this.state.node.properties.capabilities,
        ),
      ),
    };
    const data = { node, inventory: this.inventory, plugin_data: this.state.pluginData };
    const visible = (this.rule.sensitive ? data : maskSecrets(data)) as InterpolationContext;
    return item === NO_ITEM ? visible : { ...visible, item };
  }

  private interpolated(value: unknown, item: unknown, op: string): unknown {
    return interpolate(value, this.context(item), (reference) =>
      this.say(`${op}: nothing found for ${reference}`),
    );
  }

  /**
   * A list loops over its items (themselves interpolated, as Ironic formats loop items), an
   * object runs once, a reference loops over the list it finds in the data.
   */
  private loopItems(loop: NonNullable<RuleCondition['loop']>): unknown[] {
    if (typeof loop !== 'string') {
      const items = this.interpolated(loop, NO_ITEM, 'loop');
      return Array.isArray(items) ? items : [items];
    }
    const found = this.interpolated(loop, NO_ITEM, 'loop');
    if (found === null) return [];
    if (Array.isArray(found)) return found;
    if (isObject(found)) return [found];
    throw new RuleError(`loop ${loop} is not a list`);
  }
}

/** "set-attribute /properties/cpus = 4"; a sensitive rule shows its arguments as written. */
function describeAction(op: string, args: Args, sensitive: boolean): string {
  const target = args.path ?? args.name;
  const parts = [op];
  if (typeof args.path === 'string' && !sensitive) parts.push(toPointer(splitPath(args.path)));
  else if (target !== undefined) parts.push(render(target));
  if ('value' in args) parts.push(`= ${sensitive ? '***' : quote(args.value)}`);
  return parts.join(' ');
}
