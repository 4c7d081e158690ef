import {
  loopbackImageUrl,
  type FirmwareComponent,
  type FirmwareId,
  type FirmwareUpdates,
} from './firmware-updates.js';
import type { Reply, Route } from './http-routing.js';
import { redfishError, ROOT } from './redfish-resources.js';
import { accepted, type TaskService } from './redfish-tasks.js';

const UPDATE_SERVICE = `${ROOT}/UpdateService`;
const INVENTORY = `${UPDATE_SERVICE}/FirmwareInventory`;
const SIMPLE_UPDATE = `${UPDATE_SERVICE}/Actions/UpdateService.SimpleUpdate`;
const TRANSFER_PROTOCOLS = ['HTTP', 'HTTPS'];

const link = (path: string) => ({ '@odata.id': path });
const ok = (body: unknown): Reply => ({ status: 200, body });
const fail = (status: number, messageId: string, message: string): Reply => ({
  status,
  body: redfishError(messageId, message),
});

const softwareInventory = (fw: FirmwareComponent, systemPath: string) => ({
  '@odata.type': '#SoftwareInventory.v1_3_0.SoftwareInventory',
  '@odata.id': `${INVENTORY}/${fw.id}`,
  Id: fw.id,
  Name: fw.name,
  Version: fw.version,
  Updateable: fw.updateable,
  SoftwareId: `LAB-${fw.id}`,
  Status: { State: 'Enabled', Health: 'OK' },
  RelatedItem: [link(fw.id === 'BMC' ? `${ROOT}/Managers` : systemPath)],
});

/**
 * The UpdateService of one BMC: its FirmwareInventory and SimpleUpdate, which answers 202 with a
 * Task (see FirmwareUpdates for what the update does). `systemPath` is the system a Targets entry
 * may name to mean "whatever the image is for".
 */
export function updateRoutes(
  firmware: FirmwareUpdates,
  tasks: TaskService,
  systemPath: string,
): Route[] {
  const ids = () => Object.keys(firmware.components) as FirmwareId[];
  return [
    {
      method: 'GET',
      path: UPDATE_SERVICE,
      handle: () =>
        ok({
          '@odata.type': '#UpdateService.v1_8_0.UpdateService',
          '@odata.id': UPDATE_SERVICE,
          Id: 'UpdateService',
          Name: 'Update Service',
          ServiceEnabled: true,
          FirmwareInventory: link(INVENTORY),
          Actions: {
            '#UpdateService.SimpleUpdate': {
              target: SIMPLE_UPDATE,
              'TransferProtocol@Redfish.AllowableValues': TRANSFER_PROTOCOLS,
            },
          },
        }),
    },
    {
      method: 'GET',
      path: INVENTORY,
      handle: () =>
        ok({
          '@odata.type': '#SoftwareInventoryCollection.SoftwareInventoryCollection',
          '@odata.id': INVENTORY,
          Name: 'Firmware Inventory Collection',
          'Members@odata.count': ids().length,
          Members: ids().map((id) => link(`${INVENTORY}/${id}`)),
        }),
    },
    {
      method: 'GET',
      path: `${INVENTORY}/{id}`,
      handle: (req) => {
        const fw = firmware.components[req.params.id as FirmwareId] as
          FirmwareComponent | undefined;
        return fw
          ? ok(softwareInventory(fw, systemPath))
          : fail(404, 'ResourceMissingAtURI', `The resource at the URI ${req.path} was not found.`);
      },
    },
    {
      method: 'POST',
      path: SIMPLE_UPDATE,
      handle: (req) => simpleUpdate(firmware, tasks, systemPath, req.body),
    },
  ];
}

function simpleUpdate(
  firmware: FirmwareUpdates,
  tasks: TaskService,
  systemPath: string,
  body: unknown,
): Reply {
  const { ImageURI, TransferProtocol, Targets } = (body ?? {}) as Record<string, unknown>;
  if (typeof ImageURI !== 'string' || ImageURI === '') {
    return fail(
      400,
      'ActionParameterMissing',
      'The action SimpleUpdate requires the parameter ImageURI.',
    );
  }
  if (TransferProtocol !== undefined && !TRANSFER_PROTOCOLS.includes(String(TransferProtocol))) {
    return fail(
      400,
      'ActionParameterValueNotInList',
      `The value ${JSON.stringify(TransferProtocol)} for the parameter TransferProtocol is not one of ${TRANSFER_PROTOCOLS.join(', ')}.`,
    );
  }
  const url = loopbackImageUrl(ImageURI);
  if (!url) {
    return fail(
      400,
      'ActionParameterValueFormatError',
      `The value ${JSON.stringify(ImageURI)} for the parameter ImageURI is not an http(s) URL on this machine's loopback, the only network a lab BMC reaches.`,
    );
  }
  const targets: FirmwareId[] = [];
  for (const target of Array.isArray(Targets) ? Targets : []) {
    const id = String(target).replace(/\/+$/, '');
    if (id === systemPath) continue;
    const found = id.startsWith(`${INVENTORY}/`) ? id.slice(INVENTORY.length + 1) : '';
    if (!(found in firmware.components)) {
      return fail(
        400,
        'ActionParameterValueNotInList',
        `The target ${JSON.stringify(target)} of SimpleUpdate is neither ${systemPath} nor a member of ${INVENTORY}.`,
      );
    }
    targets.push(found as FirmwareId);
  }
  const taskId = firmware.start(url, targets);
  const task = tasks.get(taskId);
  return task ? accepted(task) : fail(500, 'InternalError', 'The update task was lost.');
}
