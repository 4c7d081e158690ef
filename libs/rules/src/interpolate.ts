/**
 * Variable interpolation in rule arguments, in Ironic's Python str.format syntax so that
 * Ironic rules carry over:
 *   {inventory[cpu][count]}  {inventory[interfaces][0][mac_address]}  {plugin_data[x]}
 *   {node.properties[cpus]}  {node.driver_info[redfish_address]}     {item}  {item[path]}
 * Brackets and dots both work on any level. `{{` and `}}` are literal braces.
 *
 * Unlike Python, an argument that is exactly one reference keeps the referenced value's type
 * ("{inventory[cpu][count]}" is the number 4, not "4") and is null when the data lacks it.
 * A reference inside longer text is rendered as text; a missing one is left as written
 * (Ironic does the same) and reported through `onMissing`.
 */
export type InterpolationContext = Record<'node' | 'inventory' | 'plugin_data', unknown> & {
  item?: unknown;
};

const REFERENCE = String.raw`\{(node|inventory|plugin_data|item)((?:\[[^\[\]{}]*\]|\.[A-Za-z_][A-Za-z0-9_]*)*)\}`;
const WHOLE = new RegExp(`^${REFERENCE}$`);
const ANY = new RegExp(String.raw`\{\{|\}\}|${REFERENCE}`, 'g');

const MISSING = Symbol('missing');

export function interpolate(
  value: unknown,
  context: InterpolationContext,
  onMissing: (reference: string) => void = () => {},
): unknown {
  if (typeof value === 'string') return interpolateText(value, context, onMissing);
  if (Array.isArray(value)) return value.map((v) => interpolate(v, context, onMissing));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        interpolateText(k, context, onMissing, true),
        interpolate(v, context, onMissing),
      ]),
    );
  }
  return value;
}

/** True when the text refers to inspected data, i.e. can only be checked at run time. */
export const hasReference = (text: unknown): boolean =>
  typeof text === 'string' && new RegExp(REFERENCE).test(text);

function interpolateText(
  text: string,
  context: InterpolationContext,
  onMissing: (reference: string) => void,
  asText = false,
): unknown {
  const whole = asText ? null : WHOLE.exec(text);
  if (whole) {
    const found = resolve(context, whole[1] as string, whole[2] as string);
    if (found === MISSING) onMissing(text);
    return found === MISSING ? null : found;
  }
  return text.replace(ANY, (match, root?: string, accessors?: string) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const found = resolve(context, root as string, accessors ?? '');
    if (found === MISSING) {
      onMissing(match);
      return match;
    }
    return render(found);
  });
}

function resolve(context: InterpolationContext, root: string, accessors: string): unknown {
  if (root === 'item' && !('item' in context)) return MISSING;
  let current: unknown = context[root as keyof InterpolationContext];
  for (const [, bracket, dotted] of accessors.matchAll(/\[([^\]]*)\]|\.([A-Za-z0-9_]+)/g)) {
    const key = (bracket ?? dotted) as string;
    if (Array.isArray(current) && /^\d+$/.test(key)) current = current[Number(key)];
    else if (current !== null && typeof current === 'object' && Object.hasOwn(current, key)) {
      current = (current as Record<string, unknown>)[key];
    } else return MISSING;
    if (current === undefined) return MISSING;
  }
  return current;
}

/** Text for a value inside a longer string: objects as JSON, the rest as String() does. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
