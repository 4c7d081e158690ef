import { BlockList, isIP } from 'node:net';
import { quote } from '@ingot/inventory';
import { allEqual, ordered } from './compare.js';
import { render } from './interpolate.js';
import { pythonRegex } from './regex.js';
import { RuleError } from './rule-error.js';

export type Args = Record<string, unknown>;

/** An operation's arguments, by name; `args` given as a list maps onto them in this order. */
export interface Signature {
  required: readonly string[];
  optional?: readonly string[];
}

export interface ConditionOperator extends Signature {
  check(args: Args): boolean;
}

const valuesOf = (args: Args): unknown[] => {
  if (!Array.isArray(args.values)) throw new RuleError("'values' must be a list");
  return args.values;
};
const forceStrings = (args: Args) => args.force_strings === true;

const comparison = (holds: (a: number | string, b: number | string) => boolean) => ({
  required: ['values'],
  optional: ['force_strings'],
  check: (args: Args) => ordered(valuesOf(args), holds, forceStrings(args)),
});

const isNone = (value: unknown) => value === null || value === undefined || value === 'None';

/**
 * Condition operators: Ironic's (ironic/common/inspection_rules/operators.py) plus ne, le and
 * ge. Any of them is inverted by a leading "!" ("!eq") or by `invert: true`.
 */
export const CONDITION_OPERATORS: Record<string, ConditionOperator> = {
  eq: {
    required: ['values'],
    optional: ['force_strings'],
    check: (args) => allEqual(valuesOf(args), forceStrings(args)),
  },
  ne: {
    required: ['values'],
    optional: ['force_strings'],
    check: (args) => !allEqual(valuesOf(args), forceStrings(args)),
  },
  lt: comparison((a, b) => a < b),
  le: comparison((a, b) => a <= b),
  gt: comparison((a, b) => a > b),
  ge: comparison((a, b) => a >= b),
  'is-empty': {
    required: ['value'],
    check: ({ value }) =>
      isNone(value) ||
      (typeof value === 'string' && ['', '[]', '{}'].includes(value)) ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === 'object' && value !== null && Object.keys(value).length === 0),
  },
  'is-none': { required: ['value'], check: ({ value }) => isNone(value) },
  'is-true': {
    required: ['value'],
    check: ({ value }) =>
      typeof value === 'boolean' || typeof value === 'number'
        ? Boolean(value)
        : typeof value === 'string' && ['yes', 'true'].includes(value.toLowerCase()),
  },
  'is-false': {
    required: ['value'],
    check: ({ value }) =>
      typeof value === 'boolean' || typeof value === 'number'
        ? !value
        : typeof value === 'string'
          ? ['no', 'false'].includes(value.toLowerCase())
          : value === null || value === undefined,
  },
  'one-of': {
    required: ['value', 'values'],
    check: (args) => valuesOf(args).some((candidate) => allEqual([args.value, candidate])),
  },
  matches: {
    required: ['value', 'regex'],
    check: ({ value, regex }) => pythonRegex(String(regex), true).test(render(value)),
  },
  contains: {
    required: ['value', 'regex'],
    check: ({ value, regex }) => pythonRegex(String(regex), false).test(render(value)),
  },
  'in-net': {
    required: ['address', 'subnet'],
    check: ({ address, subnet }) => inNet(address, subnet),
  },
};

/** Whether an IP address is in a CIDR; an absent or non-IP address is not (NICs without IPs). */
function inNet(address: unknown, subnet: unknown): boolean {
  const [network = '', bits] = String(subnet).split('/');
  const family = isIP(network);
  const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
  if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
    throw new RuleError('invalid subnet', quote(subnet));
  }
  const ip = typeof address === 'string' ? (address.split('%')[0] ?? '') : '';
  const ipFamily = isIP(ip);
  if (!ipFamily) return false;
  const list = new BlockList();
  list.addSubnet(network, prefix, family === 6 ? 'ipv6' : 'ipv4');
  return list.check(ip, ipFamily === 6 ? 'ipv6' : 'ipv4');
}
