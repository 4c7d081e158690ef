// Which agent token to use after lookup (Ironic's one-time token semantics).
import { MIN_TOKEN_LENGTH } from '../config.js';
import { AgentFatalError } from '../errors.js';

/** Ironic's answer when the token was already handed out to an earlier lookup. */
export const TOKEN_ALREADY_RETRIEVED = '******';

/**
 * A fresh token from the server wins; "******" means someone already took it, which is only
 * fine if this agent was given one beforehand (virtual media). Without any token the agent could
 * not authenticate a single command, so it refuses to run.
 */
export function chooseAgentToken(received: unknown, known: string | undefined): string {
  if (isUsableToken(received)) return received;
  if (known) return known;
  if (received === TOKEN_ALREADY_RETRIEVED) {
    throw new AgentFatalError(
      'the agent token was already retrieved by another lookup and this agent has no pregenerated token: ' +
        'refusing to run (FATAL); reboot the node into a fresh ramdisk',
    );
  }
  throw new AgentFatalError(
    'the lookup answer carries no usable agent token and none was pregenerated (FATAL)',
  );
}

/** IPA accepts tokens of 32 characters or more; the mask is not a token. */
export function isUsableToken(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length >= MIN_TOKEN_LENGTH &&
    value !== TOKEN_ALREADY_RETRIEVED
  );
}
