import type {
  BootModeCommand,
  SecureBootCommand,
  VmediaCommand,
  VmediaDevice,
} from '@ingot/contracts';
import type { NodeRow } from '@ingot/store';
import { BmcCallError } from '../bmc-caller.js';
import { CONDUCTOR_INBOX, type ConductorContext } from '../context.js';
import { writeNode, type NodeChange } from '../node-writer.js';

/**
 * Boot mode and UEFI secure boot changes requested through the API (PUT .../states/boot_mode and
 * .../states/secure_boot), carried out by the site's power workers while this conductor holds the
 * node, as Ironic's node_change_boot_mode and node_change_secure_boot: the node records what the
 * BMC reports afterwards, a failure goes to last_error (the API cleared it when it queued the
 * command). The BMC is asked for a setting, not a step, so a redelivery after a crash asks again
 * harmlessly.
 */
export async function handleBootModeCommand(
  ctx: ConductorContext,
  cmd: BootModeCommand,
): Promise<void> {
  const { mode } = cmd.payload;
  await changeSetting(ctx, cmd, {
    purpose: `change boot mode to ${mode}`,
    failure: `Failed to change boot mode to '${mode}'`,
    apply: async (node) => {
      const reply = await ctx.bmc.call(node, 'bmc.set_boot_mode', { mode }, cmd.request_id);
      // A BMC that does not show the mode was taken at its word by the power worker.
      const reported = reply.boot_mode ?? mode;
      return { set: { bootMode: reported }, event: `boot mode set to '${reported}' on the BMC` };
    },
  });
}

export async function handleSecureBootCommand(
  ctx: ConductorContext,
  cmd: SecureBootCommand,
): Promise<void> {
  const { enabled } = cmd.payload;
  await changeSetting(ctx, cmd, {
    purpose: `turn secure boot ${enabled ? 'on' : 'off'}`,
    // Ironic's words, with its Python booleans.
    failure: `Failed to change secure_boot state to '${enabled ? 'True' : 'False'}'`,
    apply: async (node) => {
      const reply = await ctx.bmc.call(node, 'bmc.set_secure_boot', { enabled }, cmd.request_id);
      const state = reply.secure_boot ?? { enabled, current_boot: null };
      const current =
        state.current_boot === null ? '' : `; current boot: ${state.current_boot ? 'on' : 'off'}`;
      return {
        set: { secureBoot: state.enabled },
        event: `UEFI secure boot ${state.enabled ? 'enabled' : 'disabled'} on the BMC${current}`,
      };
    },
  });
}

/** Ironic's names of the devices, for history and last_error. */
const VMEDIA_NAME: Record<VmediaDevice, string> = { cd: 'cdrom', usb: 'disk' };

/**
 * Virtual media attached or detached through the API (Ironic's do_attach_virtual_media and
 * do_detach_virtual_media): the BMC inserts or ejects, the outcome goes to history, a failure to
 * last_error. Inserting what is inserted and ejecting what is out are no-ops on the BMC, so a
 * redelivery is harmless.
 */
export async function handleVmediaCommand(
  ctx: ConductorContext,
  cmd: VmediaCommand,
): Promise<void> {
  const request = cmd.payload;
  if (request.action === 'attach') {
    const name = VMEDIA_NAME[request.device];
    await changeSetting(ctx, cmd, {
      purpose: `attach virtual media ${name}`,
      failure: `Could not attach device ${name} to node ${cmd.node_uuid}`,
      apply: async (node) => {
        await ctx.bmc.call(
          node,
          'bmc.insert_media',
          { url: request.url, device: request.device },
          cmd.request_id,
        );
        return { set: {}, event: `Device ${name} attached to node ${node.uuid}` };
      },
    });
    return;
  }
  const names = request.devices.map((device) => VMEDIA_NAME[device]).join(', ');
  await changeSetting(ctx, cmd, {
    purpose: `detach virtual media ${names}`,
    failure: `Could not detach device(s) ${names} from node ${cmd.node_uuid}`,
    apply: async (node) => {
      for (const device of request.devices) {
        await ctx.bmc.call(node, 'bmc.eject_media', { device }, cmd.request_id);
      }
      return { set: {}, event: `Device(s) ${names} detached from node ${node.uuid}` };
    },
  });
}

interface Setting {
  /** The lease's purpose. */
  purpose: string;
  /** The start of last_error when the BMC refuses. */
  failure: string;
  /** Asks the BMC; answers the columns that record what it reports, and the history event. */
  apply: (node: NodeRow) => Promise<{ set: NodeChange['set']; event: string }>;
}

async function changeSetting(
  ctx: ConductorContext,
  cmd: BootModeCommand | SecureBootCommand | VmediaCommand,
  setting: Setting,
): Promise<void> {
  await ctx.leases.withNodeLease(
    cmd.node_uuid,
    setting.purpose,
    async (leased) => {
      if (leased.handled) return;
      let change: NodeChange;
      try {
        const done = await setting.apply(leased.node);
        change = { set: done.set, history: [{ eventType: 'management', event: done.event }] };
      } catch (caught) {
        if (!(caught instanceof BmcCallError)) throw caught;
        const lastError = `${setting.failure}: ${caught.message}`;
        change = {
          set: { lastError },
          history: [{ eventType: 'management', severity: 'ERROR', event: lastError }],
        };
      }
      await writeNode(ctx.db, leased, cmd.request_id, {
        ...change,
        handled: { consumer: CONDUCTOR_INBOX, messageId: cmd.id },
      });
    },
    { messageId: cmd.id },
  );
}
