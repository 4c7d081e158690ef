import type { Args, Signature } from './operators.js';

/**
 * Arguments by name. A list maps positionally onto the signature (Ironic's deprecated form).
 * Returns the problems instead when arguments are missing or unknown.
 */
export function namedArgs(signature: Signature, given: unknown): Args | string {
  const optional = signature.optional ?? [];
  let args: Args;
  if (Array.isArray(given)) {
    const names = [...signature.required, ...optional];
    if (given.length > names.length)
      return `takes at most ${names.length} arguments (${names.join(', ')})`;
    args = Object.fromEntries(given.map((value, i) => [names[i], value]));
  } else {
    args = { ...(given as Args) };
  }
  const missing = signature.required.filter((name) => !(name in args));
  const unexpected = Object.keys(args).filter(
    (name) => !signature.required.includes(name) && !optional.includes(name),
  );
  const problems = [
    missing.length ? `missing argument(s) ${missing.join(', ')}` : '',
    unexpected.length ? `unexpected argument(s) ${unexpected.join(', ')}` : '',
  ].filter(Boolean);
  return problems.length ? problems.join(' and ') : args;
}

/** "!eq" → eq, inverted. Ironic allows one "!" and spaces around it. */
export function parseOperator(op: string): { name: string; inverted: boolean } | string {
  const text = op.trim();
  if ((text.match(/!/g) ?? []).length > 1) return `operator '${op}' has more than one '!'`;
  return { name: text.replace(/^!/, '').trim(), inverted: text.startsWith('!') };
}
