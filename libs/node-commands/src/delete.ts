import { eq } from 'drizzle-orm';
import { isDeleteAllowed } from '@ingot/lifecycle';
import { nodes, type NodeRow } from '@ingot/store';
import type { CommandDeps } from './deps.js';
import { conflict, invalid } from './errors.js';

/** Deletes a node (its ports go with it) when its state allows, and no conductor holds it. */
export async function deleteNode(deps: Pick<CommandDeps, 'db'>, node: NodeRow): Promise<void> {
  if (!isDeleteAllowed(node.provisionState, node.maintenance)) {
    throw invalid(
      `Node ${node.uuid} cannot be deleted in provision state '${node.provisionState}'; move it to manageable or set maintenance first.`,
    );
  }
  if (node.leaseOwner && node.leaseExpiresAt && node.leaseExpiresAt > new Date()) {
    throw conflict(
      `Node ${node.uuid} is locked by ${node.leaseOwner}; retry when the current operation ends.`,
    );
  }
  await deps.db.delete(nodes).where(eq(nodes.uuid, node.uuid));
}
