import { eq } from 'drizzle-orm';
import { ports } from '@ingot/store';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';

/**
 * Where an agent was reached and the certificate it registered (Ironic's wipe_token_and_url also
 * drops agent_verify_ca): the next agent pins its own with its first heartbeat.
 */
export const NO_AGENT_ENDPOINT = { agentUrl: null, agentVerifyCa: null } as const;

/** The node's driver_info.kernel_append_params (Ironic's), for the agent ramdisk's kernel. */
export function kernelAppendOf(node: LeasedNode['node']): string | undefined {
  const value = (node.driverInfo as Record<string, unknown>).kernel_append_params;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export const agentApiUrlOf = (ctx: ConductorContext): string =>
  ctx.config.agentApiUrl.replace(/\/$/, '');

export const inspectionCallbackOf = (ctx: ConductorContext, nodeUuid: string): string =>
  `${agentApiUrlOf(ctx)}/v1/continue_inspection?node_uuid=${nodeUuid}`;

/** The MACs the node network-boots from: its ports with pxe_enabled, lower case, sorted. */
export async function bootMacsOf(ctx: ConductorContext, nodeUuid: string): Promise<string[]> {
  const rows = await ctx.db
    .select({ address: ports.address, pxeEnabled: ports.pxeEnabled })
    .from(ports)
    .where(eq(ports.nodeUuid, nodeUuid));
  return rows
    .filter((p) => p.pxeEnabled)
    .map((p) => p.address.toLowerCase())
    .sort();
}
