import { eq, or, sql, type SQL } from 'drizzle-orm';
import { nodes } from '@ingot/store';
import { authorize, type Principal } from './policy.js';

/** The node fields whose visibility Ironic governs by policy. */
interface Restricted {
  owner: string | null;
  lessee: string | null;
  driver_info: Record<string, unknown>;
  driver_internal_info: Record<string, unknown>;
  last_error: string | null;
  reservation: string | null;
}

/**
 * The node as `principal` may see it, with Ironic's redaction (api/controllers/v1/node.py,
 * node_sanitize): system readers and above see every field (BMC secrets are masked as '******'
 * for everyone, always); below that threshold — a project principal — the owner still sees them,
 * and a lessee gets driver_info, driver_internal_info, last_error and reservation replaced by
 * Ironic's "redacted" markers, so BMC addresses and conductor names stay hidden.
 */
export function redactNode<T extends Restricted>(p: Principal | null | undefined, node: T): T {
  if (authorize(p, 'baremetal:node:get:filter_threshold')) return node;
  const target = { owner: node.owner, lessee: node.lessee };
  const out = { ...node };
  if (!authorize(p, 'baremetal:node:get:last_error', target)) {
    out.last_error = '** Value Redacted - Requires baremetal:node:get:last_error permission. **';
  }
  if (!authorize(p, 'baremetal:node:get:reservation', target)) {
    out.reservation = '** Redacted - requires baremetal:node:get:reservation permission. **';
  }
  if (!authorize(p, 'baremetal:node:get:driver_internal_info', target)) {
    out.driver_internal_info = {
      content: '** Redacted - Requires baremetal:node:get:driver_internal_info permission. **',
    };
  }
  if (!authorize(p, 'baremetal:node:get:driver_info', target)) {
    out.driver_info = {
      content: '** Redacted - requires baremetal:node:get:driver_info permission. **',
    };
  }
  return out;
}

/**
 * The rows of a node list `principal` may see (Ironic's list_all, else list filtered to the
 * project as owner or lessee): undefined when unrestricted.
 */
export function nodeListScope(p: Principal | null | undefined): SQL | undefined {
  if (authorize(p, 'baremetal:node:list_all')) return undefined;
  if (p?.projectId) return or(eq(nodes.owner, p.projectId), eq(nodes.lessee, p.projectId));
  return sql`false`;
}
