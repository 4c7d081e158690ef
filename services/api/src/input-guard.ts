// Input PostgreSQL cannot store, or that would exhaust the stack of whatever walks it, is refused
// at the door with a 400 that names the field, rather than failing deep inside as a 500.

/** Deeper than any node, port or rule document a client has a reason to send. */
export const MAX_JSON_DEPTH = 64;

// A NUL cannot be stored in a text or jsonb column; a lone UTF-16 surrogate is not Unicode at all
// (jsonb refuses its escape, and text would silently get U+FFFD instead).
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function problemWith(text: string): string | undefined {
  const match = UNSTORABLE.exec(text);
  if (!match) return undefined;
  return match[0] === '\u0000'
    ? 'contains a NUL character (\\u0000)'
    : 'contains a lone UTF-16 surrogate (not valid Unicode)';
}

const describe = (path: string[]) => (path.length > 0 ? `'${path.join('.')}'` : 'the value');

/**
 * The first thing wrong with `value` (a parsed JSON body, the query or the path parameters): a
 * string or key that cannot be stored, or nesting deeper than MAX_JSON_DEPTH. Walks without
 * recursion, so that the check itself cannot overflow the stack it protects.
 */
export function unstorableInput(value: unknown): string | undefined {
  const pending: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value: current, path } = item;
    if (typeof current === 'string') {
      const problem = problemWith(current);
      if (problem) return `field ${describe(path)} ${problem}`;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (path.length >= MAX_JSON_DEPTH) {
      return `field ${describe(path.slice(0, 3))} is nested deeper than ${MAX_JSON_DEPTH} levels`;
    }
    for (const [key, child] of Object.entries(current)) {
      const keyProblem = problemWith(key);
      if (keyProblem) return `a key in ${describe(path)} ${keyProblem}`;
      pending.push({ value: child, path: [...path, key] });
    }
  }
  return undefined;
}
