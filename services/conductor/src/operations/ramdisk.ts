import { eq } from 'drizzle-orm';
import { agentTokenColumns, newAgentToken, NO_AGENT_TOKEN, ports } from '@ingot/store';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { updateNode } from '../transition-node.js';
import { BmcCallError } from '../bmc-caller.js';
import { bootsFake, bootsOverNetwork } from '../driver-composition.js';
import { StepError } from './fail.js';
import {
  firstAgentCheckAt,
  forgetEarlierAgents,
  nextRamdiskBoot,
  RAMDISK_BOOT,
  withoutRamdiskBoot,
} from './ramdisk-boot.js';

export type RamdiskPurpose = 'inspect' | 'clean' | 'deploy';

/**
 * Where an agent was reached and the certificate it registered (Ironic's wipe_token_and_url also
 * drops agent_verify_ca): the next agent pins its own with its first heartbeat.
 */
const NO_AGENT_ENDPOINT = { agentUrl: null, agentVerifyCa: null } as const;

/**
 * Boots the node into the agent ramdisk: from virtual media (a per-node boot ISO carrying the agent's
 * configuration and a pregenerated one-time token) or, with boot_interface 'ipxe', over the network
 * (the site's image cache serves the node's MACs an iPXE script that loads the agent); then a
 * one-time boot from that device and a power on or reboot. Safe to run again (a resumed step): each
 * run boots a new agent with a new token.
 */
export async function bootRamdisk(
  ctx: ConductorContext,
  leased: LeasedNode,
  purpose: RamdiskPurpose,
  requestId?: string,
): Promise<void> {
  const device = bootsOverNetwork(leased.node)
    ? await prepareNetworkBoot(ctx, leased, purpose, requestId)
    : await prepareVirtualMediaBoot(ctx, leased, purpose, requestId);
  await updateNode(ctx, leased, forgetEarlierAgents(leased.node));
  const node = leased.node;
  await ctx.bmc.call(
    node,
    'bmc.set_boot_device',
    {
      device,
      persistent: false,
      ...(node.bootMode === 'bios' || node.bootMode === 'uefi' ? { boot_mode: node.bootMode } : {}),
    },
    requestId,
  );
  const { power_state } = await ctx.bmc.call(node, 'bmc.get_power', {}, requestId);
  const target = power_state === 'power on' ? 'rebooting' : 'power on';
  const reply = await ctx.bmc.call(node, 'bmc.set_power', { target }, requestId);
  // Counted once the server was told to boot: the sweeper checks on this boot's agent from now.
  const boot = nextRamdiskBoot(
    leased.node,
    purpose,
    device === 'pxe' ? 'network' : 'virtual media',
    new Date(),
  );
  await updateNode(
    ctx,
    leased,
    // The URL stays: it was cleared with the token before the boot, so only the agent just
    // booted (with the new token) can have pinned it, maybe already.
    {
      powerState: reply.power_state ?? 'power on',
      driverInternalInfo: { ...leased.node.driverInternalInfo, [RAMDISK_BOOT]: boot },
      wakeAt: firstAgentCheckAt(ctx.config, new Date(boot.at)),
    },
    {
      eventType: 'deploy',
      event: `booting the agent ramdisk ${device === 'pxe' ? 'over the network (iPXE)' : 'from virtual media'} for ${purpose} (boot ${boot.attempt} of at most ${ctx.config.bootAttempts})`,
    },
    requestId,
  );
}

/** The node's driver_info.kernel_append_params (Ironic's), for the agent ramdisk's kernel. */
function kernelAppendOf(node: LeasedNode['node']): string | undefined {
  const value = (node.driverInfo as Record<string, unknown>).kernel_append_params;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

const apiUrlOf = (ctx: ConductorContext) => ctx.config.agentApiUrl.replace(/\/$/, '');
const inspectionCallback = (ctx: ConductorContext, nodeUuid: string) =>
  `${apiUrlOf(ctx)}/v1/continue_inspection?node_uuid=${nodeUuid}`;

async function prepareVirtualMediaBoot(
  ctx: ConductorContext,
  leased: LeasedNode,
  purpose: RamdiskPurpose,
  requestId?: string,
): Promise<'cdrom'> {
  // Every boot is a new agent, maybe on a new address: the callback URL is pinned afresh by its
  // first heartbeat, and it gets a token of its own on the new ISO. The agent of an earlier boot
  // (this step may be a resumed one) is killed by the reboot below, and its token dies with it,
  // so a heartbeat it sent just before cannot pin its URL for the new agent.
  const token = newAgentToken();
  await updateNode(ctx, leased, {
    ...NO_AGENT_ENDPOINT,
    ...agentTokenColumns(ctx.secrets, token),
    agentTokenPregenerated: true,
  });
  const node = leased.node;
  const iso = await ctx.images.call(
    node,
    'image.boot_iso',
    {
      agent_config: {
        api_url: apiUrlOf(ctx),
        node_uuid: node.uuid,
        agent_token: token,
        // Parsed by the agent like /proc/cmdline: the base ISO's kernel line is the same for all.
        ...(kernelAppendOf(node) ? { kernel_params: kernelAppendOf(node) } : {}),
        ...(purpose === 'inspect'
          ? { inspection_callback_url: inspectionCallback(ctx, node.uuid) }
          : {}),
      },
    },
    requestId,
  );
  await ctx.bmc.call(node, 'bmc.insert_media', { url: iso.url, device: 'cd' }, requestId);
  return 'cdrom';
}

/**
 * iPXE: the script anyone on the provisioning network can read carries no token, so none is
 * pregenerated; the agent receives it at its first lookup (by MAC), as with Ironic's PXE boot.
 */
async function prepareNetworkBoot(
  ctx: ConductorContext,
  leased: LeasedNode,
  purpose: RamdiskPurpose,
  requestId?: string,
): Promise<'pxe'> {
  await updateNode(ctx, leased, { ...NO_AGENT_ENDPOINT, ...NO_AGENT_TOKEN });
  const node = leased.node;
  const macs = await bootMacsOf(ctx, node.uuid);
  if (macs.length === 0) {
    throw new StepError(
      `Node ${node.uuid} has boot_interface 'ipxe' but no port with pxe_enabled: create a port with the MAC of its boot NIC`,
    );
  }
  await ctx.images.call(
    node,
    'image.pxe_config',
    {
      macs,
      kernel_params: {
        'ipa-api-url': apiUrlOf(ctx),
        ...(purpose === 'inspect'
          ? { 'ipa-inspection-callback-url': inspectionCallback(ctx, node.uuid) }
          : {}),
      },
      ...(kernelAppendOf(node) ? { kernel_append: kernelAppendOf(node) } : {}),
    },
    requestId,
  );
  return 'pxe';
}

async function bootMacsOf(ctx: ConductorContext, nodeUuid: string): Promise<string[]> {
  const rows = await ctx.db
    .select({ address: ports.address, pxeEnabled: ports.pxeEnabled })
    .from(ports)
    .where(eq(ports.nodeUuid, nodeUuid));
  return rows
    .filter((p) => p.pxeEnabled)
    .map((p) => p.address.toLowerCase())
    .sort();
}

/**
 * Ends a ramdisk operation: powers the node off (unless told not to), ejects the boot ISO or clears
 * the node's iPXE script, so that its next network boot goes on to its disk (a fake boot interface
 * has neither) and wipes the agent token, URL and certificate, so a rebooted or foreign ramdisk
 * cannot reuse them.
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
  if (bootsOverNetwork(node)) await clearNetworkBoot(ctx, leased, opts.requestId);
  else if (!bootsFake(node)) await ejectBootMedia(ctx, leased, opts.requestId);
  // No ramdisk left to watch: its boot record and the sweeper's check on its agent go too.
  const info = withoutRamdiskBoot(leased.node.driverInternalInfo as Record<string, unknown>);
  const { steps: _steps, ...internal } = info;
  await updateNode(ctx, leased, {
    powerState,
    ...NO_AGENT_TOKEN,
    ...NO_AGENT_ENDPOINT,
    // A caller that still has writes to make keeps the step record until its final transition,
    // so a conductor dying in between resumes from "done" instead of starting over.
    driverInternalInfo: opts.keepSteps ? info : internal,
    wakeAt: null,
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

async function clearNetworkBoot(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const macs = await bootMacsOf(ctx, leased.node.uuid);
  if (macs.length > 0) await ctx.images.call(leased.node, 'image.pxe_clear', { macs }, requestId);
}
