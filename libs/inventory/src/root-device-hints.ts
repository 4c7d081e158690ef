import { quote } from './quote.js';

/**
 * Root device hints as Ironic reads them (ironic/common/utils.py parse_root_device_hints):
 * a hint's value is `[<op>] <value>` or `<or> v1 <or> v2...`, strings compared lowercased.
 */
export const STRING_HINTS = [
  'model',
  'vendor',
  'serial',
  'wwn',
  'wwn_with_extension',
  'wwn_vendor_extension',
  'name',
  'hctl',
  'by_path',
] as const;
export const ROOT_DEVICE_HINT_NAMES = [...STRING_HINTS, 'size', 'rotational'] as const;

export type StringHintName = (typeof STRING_HINTS)[number];
export type RootDeviceHintName = (typeof ROOT_DEVICE_HINT_NAMES)[number];

export const STRING_OPERATORS = ['s==', 's!=', 's<', 's<=', 's>', 's>=', '<in>', '<or>'] as const;
/** `=` is oslo specs_matcher's legacy spelling of `>=`; Ironic accepts it, so do we. */
export const NUMBER_OPERATORS = ['==', '!=', '>=', '<=', '>', '<', '=', '<or>'] as const;
export type StringOperator = (typeof STRING_OPERATORS)[number];
export type NumberOperator = (typeof NUMBER_OPERATORS)[number];

export type RootDeviceHint =
  | { name: StringHintName; op: StringOperator; values: string[] }
  | { name: 'size'; op: NumberOperator; values: number[] }
  | { name: 'rotational'; op: '=='; values: [boolean] };

export type ParsedHints = { ok: true; hints: RootDeviceHint[] } | { ok: false; message: string };

/** Validates and normalizes hints; the message names every bad hint. */
export function parseRootDeviceHints(hints: Record<string, unknown>): ParsedHints {
  const unknown = Object.keys(hints).filter((name) => !isHintName(name));
  if (unknown.length > 0) {
    return {
      ok: false,
      message:
        `Root device hint${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} ` +
        `${unknown.length > 1 ? 'are' : 'is'} not supported; ` +
        `valid hints are: ${ROOT_DEVICE_HINT_NAMES.join(', ')}`,
    };
  }
  const parsed: RootDeviceHint[] = [];
  const problems: string[] = [];
  for (const [name, expression] of Object.entries(hints) as [RootDeviceHintName, unknown][]) {
    const result = parseHint(name, expression);
    if (typeof result === 'string') problems.push(`Root device hint "${name}" ${result}`);
    else parsed.push(result);
  }
  return problems.length > 0
    ? { ok: false, message: problems.join('; ') }
    : { ok: true, hints: parsed };
}

const isHintName = (name: string): name is RootDeviceHintName =>
  (ROOT_DEVICE_HINT_NAMES as readonly string[]).includes(name);

/** A hint, or the problem with it (a phrase following the hint's name). */
function parseHint(name: RootDeviceHintName, expression: unknown): RootDeviceHint | string {
  if (name === 'rotational') {
    const value = booleanFrom(expression);
    return value === null
      ? `must be a boolean (true/false), got ${quote(expression)}`
      : { name, op: '==', values: [value] };
  }
  if (name === 'size') return parseSizeHint(expression);
  if (typeof expression !== 'string') return `must be a string, got ${quote(expression)}`;
  const split = splitExpression(expression);
  if (typeof split === 'string') return split;
  const op = split.op ?? 's==';
  if (!(STRING_OPERATORS as readonly string[]).includes(op)) {
    return `has operator "${op}", which does not apply to strings; use one of ${STRING_OPERATORS.join(', ')}`;
  }
  return {
    name,
    op: op as StringOperator,
    values: split.values.map((v) => normalizeHintString(name, v)),
  };
}

function parseSizeHint(expression: unknown): RootDeviceHint | string {
  if (typeof expression !== 'string' && typeof expression !== 'number') {
    return `must be a size in GiB, got ${quote(expression)}`;
  }
  const split = splitExpression(String(expression));
  if (typeof split === 'string') return split;
  const op = split.op ?? '==';
  if (!(NUMBER_OPERATORS as readonly string[]).includes(op)) {
    return `has operator "${op}", which does not apply to sizes; use one of ${NUMBER_OPERATORS.join(', ')}`;
  }
  const values = split.values.map((v) => (/^\d+$/.test(v) ? Number(v) : NaN));
  if (values.some((v) => !Number.isSafeInteger(v) || v <= 0)) {
    return `must be a positive whole number of GiB, got ${quote(expression)}`;
  }
  return { name: 'size', op: op as NumberOperator, values };
}

/** Splits "[op] value" or "<or> a <or> b"; Ironic compares lowercased, trimmed text. */
function splitExpression(expression: string): { op: string | null; values: string[] } | string {
  const text = expression.trim().toLowerCase();
  if (!text) return 'is empty';
  const first = text.split(/\s+/, 1)[0] ?? '';
  if (!/^(<[a-z-]+>|s?(==|!=|<=|>=|<|>|=))$/.test(first)) return { op: null, values: [text] };
  const rest = text.slice(first.length);
  const values = (first === '<or>' ? rest.split(/<or>/) : [rest])
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (values.length === 0) return `has operator "${first}" but no value`;
  return { op: first, values };
}

/**
 * Lowercased and trimmed like Ironic; device names are compared without their /dev/ prefix so
 * that a hint of "sda" and one of "/dev/sda" both find /dev/sda.
 */
export function normalizeHintString(name: StringHintName, value: string): string {
  const text = value.trim().toLowerCase();
  return name === 'name' ? text.replace(/^\/dev\//, '') : text;
}

/** oslo strutils.bool_from_string(strict=True): booleans and their usual spellings. */
export function booleanFrom(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
  if (typeof value !== 'string') return null;
  const text = value.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(text)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(text)) return false;
  return null;
}
