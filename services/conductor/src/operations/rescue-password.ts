import type { NodeRow } from '@ingot/store';

/**
 * instance_info key of the rescue password's crypt(3) hash, as Ironic keeps it; the API writes it
 * (libs/node-commands rescue-password.ts), never the password itself.
 */
export const HASHED_RESCUE_PASSWORD = 'hashed_rescue_password';

/** The hash the rescue user's password is set from, if the node has one. */
export function hashedRescuePasswordOf(node: Pick<NodeRow, 'instanceInfo'>): string | undefined {
  const hash = node.instanceInfo[HASHED_RESCUE_PASSWORD];
  return typeof hash === 'string' && hash !== '' ? hash : undefined;
}

/**
 * instance_info without the rescue password (Ironic's remove_node_rescue_password): once the
 * agent has it, and when a rescue fails or ends.
 */
export function withoutRescuePassword(info: Record<string, unknown>): Record<string, unknown> {
  const { [HASHED_RESCUE_PASSWORD]: _hash, rescue_password: _clear, ...rest } = info;
  return rest;
}
