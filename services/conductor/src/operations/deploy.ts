import type { ConductorContext } from '../context.js';
import { deployInterfaceOf } from '../interfaces/deploy.js';
import type { LeasedNode } from '../node-lease.js';
import { checkSecureBoot } from './secure-boot.js';

/**
 * `deploying` (deploy or rebuild): secure boot, when asked for, is checked first (a BMC that cannot
 * do it fails the deploy before anything is fetched or booted), then the node's deploy interface
 * writes the instance.
 */
export async function runDeploying(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  await checkSecureBoot(ctx, leased, requestId);
  await deployInterfaceOf(leased.node).deploy(ctx, leased, requestId);
}
