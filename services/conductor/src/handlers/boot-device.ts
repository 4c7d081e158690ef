import { randomUUID } from 'node:crypto';
import { traceHeaders } from '@ingot/bus';
import type { BootDeviceChanged, BootDeviceCommand, BmcErrorKind } from '@ingot/contracts';
import { BmcCallError } from '../bmc-caller.js';
import { CONDUCTOR_INBOX, type ConductorContext } from '../context.js';
import { writeNode } from '../node-writer.js';

/**
 * A boot device change requested through the API, carried out by the site's power workers while
 * this conductor holds the node. The outcome goes to the node history and, as an event, back to
 * the API request that waits for it. Setting a boot device twice is harmless, so a redelivery
 * after a crash simply sets it again.
 */
export async function handleBootDeviceCommand(
  ctx: ConductorContext,
  cmd: BootDeviceCommand,
): Promise<void> {
  const { device, persistent } = cmd.payload;
  await ctx.leases.withNodeLease(
    cmd.node_uuid,
    `set boot device ${device}`,
    async (leased) => {
      if (leased.handled) return;
      const node = leased.node;
      let error: { kind: BmcErrorKind; message: string } | undefined;
      try {
        await ctx.bmc.call(
          node,
          'bmc.set_boot_device',
          {
            device,
            persistent,
            ...(node.bootMode === 'uefi' || node.bootMode === 'bios'
              ? { boot_mode: node.bootMode }
              : {}),
          },
          cmd.request_id,
        );
      } catch (caught) {
        if (!(caught instanceof BmcCallError)) throw caught;
        error = {
          kind: caught.kind as BmcErrorKind,
          message: `Failed to set the boot device of node ${node.name ?? node.uuid} to '${device}': ${caught.message}`,
        };
      }
      const event: BootDeviceChanged = {
        id: randomUUID(),
        type: 'boot_device_changed',
        node_uuid: node.uuid,
        site: node.conductorGroup,
        request_id: cmd.request_id,
        at: new Date().toISOString(),
        device,
        persistent,
        ok: !error,
        ...(error ? { error } : {}),
      };
      await writeNode(ctx.db, leased, cmd.request_id, {
        set: {},
        history: [
          {
            eventType: 'management',
            severity: error ? 'ERROR' : 'INFO',
            event:
              error?.message ??
              `boot device set to '${device}'${persistent ? ' (persistent)' : ' (next boot)'}`,
          },
        ],
        outbox: [
          {
            id: event.id,
            subject: ctx.bus.subjects.nodeEvent(node.uuid, 'management'),
            headers: traceHeaders(),
            payload: event,
          },
        ],
        handled: { consumer: CONDUCTOR_INBOX, messageId: cmd.id },
      });
    },
    { messageId: cmd.id },
  );
}
