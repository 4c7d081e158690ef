import { quote } from '@ingot/inventory';
import { RuleError } from './rule-error.js';

/**
 * A JavaScript RegExp for a rule's Python `re` pattern. Rules written for Ironic use Python
 * spellings: leading inline flags such as "(?i)dell", named groups "(?P<name>...)" and
 * "(?P=name)", and the anchors \A and \Z; they are translated, the rest is common syntax.
 */
export function pythonRegex(pattern: string, anchored: boolean): RegExp {
  const flags = /^\(\?([aimsux]+)\)/.exec(pattern);
  let source = flags ? pattern.slice(flags[0].length) : pattern;
  let jsFlags = '';
  for (const flag of flags?.[1] ?? '') {
    if (flag === 'i' || flag === 'm' || flag === 's') jsFlags += flag;
    else if (flag === 'x') throw new RuleError('the regular expression flag (?x) is not supported');
  }
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  // Python's re.match anchors at the start and Ironic's `matches` appends "$".
  if (anchored) source = `^(?:${source})$`;
  try {
    return new RegExp(source, [...new Set(jsFlags)].join(''));
  } catch (error) {
    throw new RuleError(
      'invalid regular expression',
      `${quote(pattern)}: ${(error as Error).message}`,
    );
  }
}
