import { randomBytes } from 'node:crypto';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { updateNode } from '../transition-node.js';
import { BmcCallError } from '../bmc-caller.js';
import { bootsFake } from '../driver-composition.js';

export type RamdiskPurpose = 'inspect' | 'clean' | 'deploy';

/** Ironic's token: secrets.token_urlsafe() = 43 URL-safe characters. */
const newAgentToken = (): string => randomBytes(32).toString('base64url');

/**
 * Boots the node into the agent ramdisk from virtual media: a per-node boot ISO carrying the agent's
 * configuration and a pregenerated one-time token, a one-time boot from CD, then power on or reboot.
 * Safe to run again (a resumed step): the existing token is kept, so an agent already booted still works.
 */
export async function bootRamdisk(
  ctx: ConductorContext,
  leased: LeasedNode,
  purpose: RamdiskPurpose,
  requestId?: string,
): Promise<void> {
  // Every boot is a new agent, maybe on a new address: the callback URL is pinned afresh by
  // its first heartbeat. The token is kept, so the ISO of a resumed step carries the same one.
  await updateNode(ctx, leased, {
    agentUrl: null,
    ...(leased.node.agentToken
      ? {}
      : { agentToken: newAgentToken(), agentTokenPregenerated: true }),
  });
  const node = leased.node;
  const apiUrl = ctx.config.agentApiUrl.replace(/\/$/, '');
  const iso = await ctx.images.call(
    node,
    'image.boot_iso',
    {
      agent_config: {
        api_url: apiUrl,
        node_uuid: node.uuid,
        agent_token: node.agentToken,
        ...(purpose === 'inspect'
          ? { inspection_callback_url: `${apiUrl}/v1/continue_inspection?node_uuid=${node.uuid}` }
          : {}),
      },
    },
    requestId,
  );
  await ctx.bmc.call(node, 'bmc.insert_media', { url: iso.url, device: 'cd' }, requestId);
  await ctx.bmc.call(
    node,
    'bmc.set_boot_device',
    {
      device: 'cdrom',
      persistent: false,
      ...(node.bootMode === 'bios' || node.bootMode === 'uefi' ? { boot_mode: node.bootMode } : {}),
    },
    requestId,
  );
  const { power_state } = await ctx.bmc.call(node, 'bmc.get_power', {}, requestId);
  const target = power_state === 'power on' ? 'rebooting' : 'power on';
  const reply = await ctx.bmc.call(node, 'bmc.set_power', { target }, requestId);
  await updateNode(
    ctx,
    leased,
    // A heartbeat of the agent that ran before this reboot may have pinned its URL meanwhile.
    { powerState: reply.power_state ?? 'power on', agentUrl: null },
    {
      eventType: 'deploy',
      event: `booting the agent ramdisk from virtual media for ${purpose}`,
    },
    requestId,
  );
}

/**
 * Ends a ramdisk operation: powers the node off (unless told not to), ejects the boot ISO (a fake boot
 * interface has none) and wipes the agent token and URL so a rebooted or foreign ramdisk cannot reuse them.
 */
export async function tearDownRamdisk(
  ctx: ConductorContext,
  leased: LeasedNode,
  opts: { powerOff: boolean; requestId?: string; keepSteps?: boolean },
): Promise<void> {
  const node = leased.node;
  let powerState = node.powerState;
  if (opts.powerOff) {
    powerState =
      (await ctx.bmc.call(node, 'bmc.set_power', { target: 'power off' }, opts.requestId))
        .power_state ?? 'power off';
  }
  if (!bootsFake(node)) await ejectBootMedia(ctx, leased, opts.requestId);
  const { steps: _steps, ...internal } = leased.node.driverInternalInfo as Record<string, unknown>;
  await updateNode(ctx, leased, {
    powerState,
    agentToken: null,
    agentTokenPregenerated: false,
    agentUrl: null,
    // A caller that still has writes to make keeps the step record until its final transition,
    // so a conductor dying in between resumes from "done" instead of starting over.
    driverInternalInfo: opts.keepSteps ? leased.node.driverInternalInfo : internal,
  });
}

async function ejectBootMedia(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  try {
    await ctx.bmc.call(leased.node, 'bmc.eject_media', { device: 'cd' }, requestId);
  } catch (error) {
    // A BMC without virtual media has nothing to eject; anything else is worth reporting.
    if (!(error instanceof BmcCallError) || error.kind !== 'unsupported') throw error;
  }
}
