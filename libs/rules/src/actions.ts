import { quote } from '@ingot/inventory';
import { readCapabilities, writeCapabilities } from './capabilities.js';
import { render } from './interpolate.js';
import { isObjectField, nodeAttributePath } from './node-attributes.js';
import type { Args, Signature } from './operators.js';
import {
  deleteAt,
  getAt,
  isObject,
  setAt,
  splitPath,
  toPointer,
  type JsonObject,
} from './paths.js';
import { RuleError, RuleFailure } from './rule-error.js';

/** One change to the node, JSON-Patch style; `add` replaces and creates missing parents. */
export type PatchOperation =
  { op: 'add'; path: string; value: unknown } | { op: 'remove'; path: string };

/** What the rules have done so far; later rules see the changes of earlier ones. */
export interface RuleState {
  node: JsonObject;
  traits: Set<string>;
  pluginData: JsonObject;
  patch: PatchOperation[];
}

export interface ActionContext {
  state: RuleState;
  /** The arguments as written in the rule, without the inspected values. */
  raw: Args;
  sensitive: boolean;
  log(text: string): void;
}

export interface RuleAction extends Signature {
  run(args: Args, context: ActionContext): void;
}

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export const TRAIT_PATTERN = /^[A-Z0-9_]{1,255}$/;

/**
 * Actions: Ironic's (ironic/common/inspection_rules/actions.py) but for the port actions and
 * api-call. They change the working state; the engine turns it into a patch and trait lists.
 */
export const ACTIONS: Record<string, RuleAction> = {
  fail: {
    required: ['msg'],
    run: (args, { raw, sensitive }) => {
      throw new RuleFailure(render(sensitive ? raw.msg : args.msg));
    },
  },
  log: {
    required: ['msg'],
    optional: ['level'],
    run: (args, { raw, sensitive, log }) => {
      const level = String(args.level ?? 'info').toLowerCase();
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        throw new RuleError(`invalid log level; use one of ${LOG_LEVELS.join(', ')}`, quote(level));
      }
      // A sensitive rule logs its message as written: the references, not their values.
      log(`[${level}] ${render(sensitive ? raw.msg : args.msg)}`);
    },
  },
  'set-attribute': {
    required: ['path', 'value'],
    run: ({ path, value }, { state }) => {
      const parts = nodeAttributePath(path);
      if (isObjectField(parts) && !isObject(value)) {
        throw new RuleError(`'${toPointer(parts)}' must be set to an object`);
      }
      setAt(state.node, parts, structuredClone(value));
      state.patch.push({ op: 'add', path: toPointer(parts), value: structuredClone(value) });
    },
  },
  'extend-attribute': {
    required: ['path', 'value'],
    optional: ['unique'],
    run: ({ path, value, unique }, { state }) => {
      const parts = nodeAttributePath(path);
      const list = appended(getAt(state.node, parts), value, unique === true, toPointer(parts));
      setAt(state.node, parts, list);
      state.patch.push({ op: 'add', path: toPointer(parts), value: structuredClone(list) });
    },
  },
  'del-attribute': {
    required: ['path'],
    run: ({ path }, { state }) => {
      const parts = nodeAttributePath(path);
      if (parts.length === 1) throw new RuleError(`'${toPointer(parts)}' cannot be deleted`);
      if (deleteAt(state.node, parts)) state.patch.push({ op: 'remove', path: toPointer(parts) });
    },
  },
  'add-trait': {
    required: ['name'],
    run: ({ name }, { state }) => {
      state.traits.add(traitName(name));
    },
  },
  'remove-trait': {
    required: ['name'],
    run: ({ name }, { state, log }) => {
      if (!state.traits.delete(traitName(name))) log('the node has no such trait');
    },
  },
  'set-capability': {
    required: ['name', 'value'],
    run: ({ name, value }, { state }) =>
      changeCapabilities(state, (capabilities) => capabilities.set(String(name), render(value))),
  },
  'unset-capability': {
    required: ['name'],
    run: ({ name }, { state }) =>
      changeCapabilities(state, (capabilities) => capabilities.delete(String(name))),
  },
  'set-plugin-data': {
    required: ['path', 'value'],
    run: ({ path, value }, { state }) => {
      setAt(state.pluginData, splitPath(String(path)), structuredClone(value));
    },
  },
  'extend-plugin-data': {
    required: ['path', 'value'],
    optional: ['unique'],
    run: ({ path, value, unique }, { state }) => {
      const parts = splitPath(String(path));
      const current = getAt(state.pluginData, parts);
      setAt(state.pluginData, parts, appended(current, value, unique === true, parts.join('.')));
    },
  },
  'unset-plugin-data': {
    required: ['path'],
    run: ({ path }, { state, log }) => {
      if (!deleteAt(state.pluginData, splitPath(String(path)))) log('no such plugin data');
    },
  },
};

function appended(current: unknown, value: unknown, unique: boolean, where: string): unknown[] {
  if (current !== undefined && current !== null && !Array.isArray(current)) {
    throw new RuleError(`'${where}' is not a list and cannot be extended`);
  }
  const list = Array.isArray(current) ? [...current] : [];
  const present = list.some((v) => JSON.stringify(v) === JSON.stringify(value));
  if (!unique || !present) list.push(structuredClone(value));
  return list;
}

function traitName(name: unknown): string {
  if (typeof name !== 'string' || !TRAIT_PATTERN.test(name)) {
    throw new RuleError(
      'a trait is upper case letters, digits and _ (e.g. CUSTOM_GPU)',
      quote(name),
    );
  }
  return name;
}

function changeCapabilities(state: RuleState, change: (c: Map<string, string>) => unknown): void {
  const properties = isObject(state.node.properties) ? state.node.properties : {};
  state.node.properties = properties;
  const capabilities = readCapabilities(properties.capabilities);
  change(capabilities);
  const value = writeCapabilities(capabilities, properties.capabilities);
  properties.capabilities = value;
  state.patch.push({ op: 'add', path: '/properties/capabilities', value: structuredClone(value) });
}
