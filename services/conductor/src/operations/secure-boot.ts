import type { SecureBootState } from '@ingot/contracts';
import { BmcCallError } from '../bmc-caller.js';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { updateNode } from '../transition-node.js';
import { StepError } from './fail.js';

/**
 * UEFI secure boot of a deployed instance, as Ironic does it (boot_mode_utils
 * configure/deconfigure_secure_boot_if_needed): asked for by instance_info.capabilities
 * secure_boot 'true' (Metal3 sets it for bootMode UEFISecureBoot), turned on through the BMC
 * before the instance boots, off again on undeploy and before cleaning. node.secure_boot records
 * what the BMC read back. The agent ramdisk always boots with it off.
 */

type Capabilities = Record<string, unknown> | 'malformed';

/** instance_info.capabilities: an object, or (as Ironic also takes it) its JSON text. */
function capabilitiesOf(instanceInfo: Record<string, unknown>): Capabilities {
  let caps = instanceInfo.capabilities;
  if (caps === undefined || caps === null) return {};
  if (typeof caps === 'string') {
    try {
      caps = JSON.parse(caps);
    } catch {
      return 'malformed';
    }
  }
  return typeof caps === 'object' && caps !== null && !Array.isArray(caps)
    ? (caps as Record<string, unknown>)
    : 'malformed';
}

/** Ironic's is_secure_boot_requested: capabilities.secure_boot is 'true' (or true). */
export function secureBootRequested(instanceInfo: Record<string, unknown>): boolean {
  const caps = capabilitiesOf(instanceInfo);
  if (caps === 'malformed') return false;
  const value = caps.secure_boot;
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

/**
 * The instance's boot device: its disk, persistently; in UEFI mode when it boots securely (Ironic's
 * get_boot_mode_for_deploy answers uefi whenever secure boot is asked for).
 */
export function instanceBootDevice(node: { instanceInfo: Record<string, unknown> }) {
  return {
    device: 'disk' as const,
    persistent: true,
    ...(secureBootRequested(node.instanceInfo) ? { boot_mode: 'uefi' as const } : {}),
  };
}

/**
 * At the start of a deploy, before an image is fetched or anything boots: a request for secure
 * boot needs UEFI and a hardware type whose BMC manages it (the ipmi one does not), or the deploy
 * fails now saying so, instead of booting the instance insecurely.
 */
export async function checkSecureBoot(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const node = leased.node;
  if (capabilitiesOf(node.instanceInfo) === 'malformed') {
    throw new StepError(
      'Cannot deploy: instance_info.capabilities must be an object (or its JSON text), e.g. {"secure_boot": "true"}',
    );
  }
  if (!secureBootRequested(node.instanceInfo)) return;
  const asked = 'secure boot was requested (instance_info.capabilities.secure_boot)';
  if (node.bootMode === 'bios') {
    throw new StepError(
      `Cannot deploy: ${asked} but the node's boot_mode is bios; secure boot requires uefi`,
    );
  }
  try {
    await ctx.bmc.call(node, 'bmc.get_secure_boot', {}, requestId);
  } catch (error) {
    if (error instanceof BmcCallError && error.kind === 'unsupported')
      throw new StepError(`Cannot deploy: ${asked} but ${error.message}`);
    throw error;
  }
}

/**
 * Just before the instance's first boot: secure boot on when the deploy asks for it, off when a
 * rebuild no longer does.
 */
export async function configureSecureBoot(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const wanted = secureBootRequested(leased.node.instanceInfo);
  if (!wanted && leased.node.secureBoot !== true) return;
  const reply = await ctx.bmc.call(
    leased.node,
    'bmc.set_secure_boot',
    { enabled: wanted },
    requestId,
  );
  await record(
    ctx,
    leased,
    reply.secure_boot ?? { enabled: wanted, current_boot: null },
    requestId,
  );
}

/**
 * On undeploy and before cleaning: secure boot off again, if a deploy asked for it or the BMC was
 * last seen with it on. A hardware type that cannot manage it does not block a teardown when it
 * was never turned on (Ironic only logs that case).
 */
export async function disableSecureBoot(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const node = leased.node;
  if (node.secureBoot !== true && !secureBootRequested(node.instanceInfo)) return;
  let state: SecureBootState;
  try {
    const reply = await ctx.bmc.call(node, 'bmc.set_secure_boot', { enabled: false }, requestId);
    state = reply.secure_boot ?? { enabled: false, current_boot: null };
  } catch (error) {
    if (error instanceof BmcCallError && error.kind === 'unsupported' && node.secureBoot !== true)
      return;
    throw error;
  }
  await record(ctx, leased, state, requestId);
}

async function record(
  ctx: ConductorContext,
  leased: LeasedNode,
  state: SecureBootState,
  requestId?: string,
): Promise<void> {
  const current =
    state.current_boot === null ? '' : `; current boot: ${state.current_boot ? 'on' : 'off'}`;
  await updateNode(
    ctx,
    leased,
    { secureBoot: state.enabled },
    {
      eventType: 'deploy',
      event: `UEFI secure boot ${state.enabled ? 'enabled' : 'disabled'} on the BMC${current}`,
    },
    requestId,
  );
}
