import { NO_AGENT_TOKEN } from '@ingot/store';
import type { ConductorContext } from '../context.js';
import { bootInterfaceOf } from '../interfaces/boot.js';
import { NO_AGENT_ENDPOINT } from '../interfaces/ramdisk-params.js';
import type { RamdiskPurpose } from '../interfaces/types.js';
import type { LeasedNode } from '../node-lease.js';
import { updateNode } from '../transition-node.js';
import {
  firstAgentCheckAt,
  forgetEarlierAgents,
  nextRamdiskBoot,
  RAMDISK_BOOT,
  withoutRamdiskBoot,
} from './ramdisk-boot.js';

export type { RamdiskPurpose };

/**
 * Boots the node into the agent ramdisk: its boot interface makes the ramdisk bootable (an ISO in
 * the virtual CD, an iPXE script for its MACs), then a one-time boot from that device and a power
 * on or reboot. Safe to run again (a resumed step): each run boots a new agent with a new token.
 * `restart` says why a step restarts a ramdisk that worked (a BIOS change applied at POST): that
 * boot is the first of a new count, not a retry.
 */
export async function bootRamdisk(
  ctx: ConductorContext,
  leased: LeasedNode,
  purpose: RamdiskPurpose,
  requestId?: string,
  restart?: string,
): Promise<void> {
  const prepared = await bootInterfaceOf(leased.node).prepareRamdisk(
    ctx,
    leased,
    purpose,
    requestId,
  );
  const { device } = prepared;
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
  const earlier = restart
    ? {
        driverInternalInfo: withoutRamdiskBoot(
          leased.node.driverInternalInfo as Record<string, unknown>,
        ),
      }
    : leased.node;
  const boot = nextRamdiskBoot(earlier, purpose, prepared.medium, new Date());
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
      event: `booting the agent ramdisk ${prepared.description} for ${purpose}${restart ? ` again: ${restart}` : ''} (boot ${boot.attempt} of at most ${ctx.config.bootAttempts})`,
    },
    requestId,
  );
}

/**
 * Ends a ramdisk operation: powers the node off (unless told not to), has its boot interface undo
 * the ramdisk boot (the ISO ejected, the iPXE script cleared) so that its next boot goes on to its
 * disk, and wipes the agent token, URL and certificate, so a rebooted or foreign ramdisk cannot
 * reuse them.
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
  await bootInterfaceOf(node).cleanUpRamdisk(ctx, leased, opts.requestId);
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
