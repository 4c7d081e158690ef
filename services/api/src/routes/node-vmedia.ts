import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { VirtualMediaSlotSchema, type VmediaCommand, type VmediaDevice } from '@ingot/contracts';
import { writeNodeRow, type NodeRow } from '@ingot/store';
import { requireEndpoint, V } from '../api-version.js';
import type { BmcCalls } from '../bmc-calls.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, badRequest, conflict } from '../errors.js';
import { checkDriverInfo, conductorCommand } from '../node-commands.js';
import { hardwareOf } from '../node-fields.js';
import { refuseIfLocked } from './node-management.js';
import { loadNode, NodeIdent } from './nodes.js';

/** Ironic's boot_devices.VMEDIA_DEVICES, and the BMC device each is played on here. */
const VMEDIA_DEVICES = ['disk', 'cdrom', 'floppy'] as const;
const PLAYED_ON: Record<string, VmediaDevice | undefined> = { cdrom: 'cd', disk: 'usb' };

const VmediaAttachSchema = Type.Object(
  {
    device_type: Type.String(),
    image_url: Type.String({ minLength: 1 }),
    image_download_source: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/**
 * Virtual media of a node (Ironic 1.89 attach/detach, 1.93 list): what the BMC plays to the
 * server, outside any provisioning operation. Attach and detach are carried out by the site's
 * conductor holding the node, answered 204 once queued as Ironic answers once its conductor took
 * them; a failure goes to last_error and the node's history. The list is read from the BMC.
 */
export function nodeVmediaRoutes(deps: ApiDeps, bmc: BmcCalls): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/nodes/:node_ident/vmedia',
      { schema: { params: NodeIdent, response: { 200: Type.Array(VirtualMediaSlotSchema) } } },
      async (request) => {
        requireEndpoint(request, V.GET_VMEDIA);
        const node = await loadNode(deps, request, request.params.node_ident);
        refuseWithoutVirtualMedia(node, 'get_virtual_media');
        checkDriverInfo(node.driver, node.driverInfo, true);
        return bmc.virtualMedia(node, request.id);
      },
    );

    app.post(
      '/v1/nodes/:node_ident/vmedia',
      { schema: { params: NodeIdent, body: VmediaAttachSchema } },
      async (request, reply) => {
        requireEndpoint(request, V.ATTACH_DETACH_VMEDIA);
        const { device_type, image_url, image_download_source } = request.body;
        const device = playedOn(device_type);
        checkImageUrl(image_url);
        checkDownloadSource(image_download_source);
        const node = await loadNode(deps, request, request.params.node_ident);
        refuseWithoutVirtualMedia(node, 'attach_virtual_media');
        await queueVmedia(deps, bmc, node, request.id, `attach ${device_type} requested`, {
          action: 'attach',
          device,
          url: image_url,
        });
        return reply.status(204).send();
      },
    );

    app.delete(
      '/v1/nodes/:node_ident/vmedia',
      {
        schema: {
          params: NodeIdent,
          querystring: Type.Object({ device_types: Type.Optional(Type.String()) }),
        },
      },
      async (request, reply) => {
        requireEndpoint(request, V.ATTACH_DETACH_VMEDIA);
        const devices = devicesToDetach(request.query.device_types);
        const node = await loadNode(deps, request, request.params.node_ident);
        refuseWithoutVirtualMedia(node, 'detach_virtual_media');
        await queueVmedia(deps, bmc, node, request.id, 'detach virtual media requested', {
          action: 'detach',
          devices,
        });
        return reply.status(204).send();
      },
    );
  };
}

function playedOn(deviceType: string): VmediaDevice {
  if (!(VMEDIA_DEVICES as readonly string[]).includes(deviceType)) {
    throw badRequest(`Invalid device_type ${deviceType} (valid are ${VMEDIA_DEVICES.join(', ')})`);
  }
  const device = PLAYED_ON[deviceType];
  if (!device) {
    throw badRequest(
      `device_type ${deviceType} is not supported: Ingot's BMCs play virtual media as cdrom or disk`,
    );
  }
  return device;
}

function checkImageUrl(imageUrl: string): void {
  let scheme: string;
  try {
    scheme = new URL(imageUrl).protocol;
  } catch {
    throw badRequest(`image_url is not a URL: ${imageUrl}`);
  }
  if (scheme !== 'http:' && scheme !== 'https:') {
    throw badRequest(
      `Unsupported or missing URL scheme in image_url: ${scheme.replace(/:$/, '')} (http and https are supported)`,
    );
  }
}

/**
 * Ingot hands the URL to the BMC as it is (Ironic's 'http'); it has no conductor web server to
 * copy the image to first ('local', Ironic's default) and no Swift.
 */
function checkDownloadSource(source: string | undefined): void {
  if (source === undefined || source === 'http') return;
  if (source === 'local' || source === 'swift') {
    throw badRequest(
      `image_download_source '${source}' is not supported: Ingot gives the BMC the image_url itself; send 'http' or leave it out`,
    );
  }
  throw badRequest(`Invalid image_download_source ${source} (valid are http, local, swift)`);
}

/** The devices a DELETE names (all when none); a floppy is never inserted here, so it is skipped. */
export function devicesToDetach(deviceTypes: string | undefined): VmediaDevice[] {
  if (deviceTypes === undefined || deviceTypes.trim() === '') return ['cd', 'usb'];
  const named = deviceTypes.split(',').map((type) => type.trim());
  const invalid = named.filter((type) => !(VMEDIA_DEVICES as readonly string[]).includes(type));
  if (invalid.length > 0) {
    throw badRequest(
      `Invalid device type(s) ${invalid.join(', ')} in device_types (valid are ${VMEDIA_DEVICES.join(', ')})`,
    );
  }
  return [...new Set(named.flatMap((type) => PLAYED_ON[type] ?? []))];
}

/** Ironic's fake and ipmitool management interfaces have no virtual media: its words. */
function refuseWithoutVirtualMedia(node: NodeRow, method: string): void {
  if (hardwareOf(node.driver).interfaces.management !== 'redfish') {
    throw badRequest(
      `Driver ${node.driver} does not support ${method} (disabled or not implemented).`,
    );
  }
}

/**
 * Ironic's checks before its conductor spawns the work (the lock, management validation, a node
 * whose BMC is failing), then last_error cleared and the command queued in one write.
 */
export async function queueVmedia(
  deps: ApiDeps,
  bmc: BmcCalls,
  node: NodeRow,
  requestId: string,
  event: string,
  payload: VmediaCommand['payload'],
): Promise<void> {
  checkDriverInfo(node.driver, node.driverInfo, true);
  refuseIfLocked(node);
  if (node.maintenance && node.fault === 'power failure') {
    throw new ApiError(
      503,
      `Unable to change the virtual media of node ${node.uuid} due to power failure state`,
    );
  }
  await bmc.checkSiteServed(node);
  const written = await writeNodeRow(deps.db, {
    uuid: node.uuid,
    set: { lastError: null },
    expect: { provisionState: node.provisionState },
    history: [{ eventType: 'management', event, requestId }],
    outbox: [conductorCommand(deps, node, requestId, { type: 'node.vmedia', payload })],
  });
  if (!written) {
    throw conflict(`Node ${node.uuid} changed state while the request was checked; please retry.`);
  }
}
