import { createHash } from 'node:crypto';
import type { Reply, Request, Route } from './http-routing.js';
import { driveIds, RAID_TYPES, type LabVolume, type RaidController } from './raid-controller.js';
import { redfishError, systemPath, type ResourceIds } from './redfish-resources.js';
import { accepted } from './redfish-tasks.js';
import type { OnSystem } from './redfish-routes.js';
import type { ServerIdentity } from './server-profile.js';

type Json = Record<string, unknown>;

const link = (path: string) => ({ '@odata.id': path });
const storagePath = (ids: ResourceIds) => `${systemPath(ids)}/Storage/1`;
const volumesPath = (ids: ResourceIds) => `${storagePath(ids)}/Volumes`;
const ok = (body: unknown): Reply => ({ status: 200, body });
const fail = (status: number, messageId: string, message: string): Reply => ({
  status,
  body: redfishError(messageId, message),
});
const missing = (path: string) =>
  fail(404, 'ResourceMissingAtURI', `The resource at the URI ${path} was not found.`);

/** A stable NAA-style WWN for a drive or volume, so identifiers survive restarts. */
const wwn = (seed: string) =>
  `5${createHash('sha1').update(seed).digest('hex').slice(0, 15).toUpperCase()}`;

/** The NAA name of a volume: its Identifiers' DurableName, and the WWN the OS sees on its disk. */
export const volumeWwn = (server: ServerIdentity, volumeId: string) =>
  wwn(`${server.uuid}/volume/${volumeId}`);

export const storageCollection = (ids: ResourceIds): Json => ({
  '@odata.type': '#StorageCollection.StorageCollection',
  '@odata.id': `${systemPath(ids)}/Storage`,
  Name: 'Storage Collection',
  'Members@odata.count': 1,
  Members: [link(storagePath(ids))],
});

/** The storage subsystem; with a RAID controller when the system has one (not light systems). */
export const storage = (ids: ResourceIds, server: ServerIdentity, raid?: RaidController): Json => ({
  '@odata.type': '#Storage.v1_8_0.Storage',
  '@odata.id': storagePath(ids),
  Id: '1',
  Name: 'Lab storage controller',
  Drives: driveIds(server).map((d) => link(`${storagePath(ids)}/Drives/${d}`)),
  Status: { State: 'Enabled', Health: 'OK' },
  ...(raid
    ? {
        StorageControllers: [
          {
            '@odata.id': `${storagePath(ids)}#/StorageControllers/0`,
            MemberId: '0',
            Name: 'Lab RAID controller',
            Manufacturer: 'Ingot lab',
            Model: 'LabRAID 9460-8i',
            FirmwareVersion: '51.14.0',
            SupportedRAIDTypes: [...RAID_TYPES],
            SupportedControllerProtocols: ['PCIe'],
            SupportedDeviceProtocols: ['SATA', 'SAS'],
            Status: { State: 'Enabled', Health: 'OK' },
          },
        ],
        Volumes: link(volumesPath(ids)),
      }
    : {}),
});

export function drive(
  ids: ResourceIds,
  server: ServerIdentity,
  driveId: string,
  raid?: RaidController,
): Json | undefined {
  const disk = server.profile.disks[driveIds(server).indexOf(driveId)];
  if (!disk) return undefined;
  return {
    '@odata.type': '#Drive.v1_7_0.Drive',
    '@odata.id': `${storagePath(ids)}/Drives/${driveId}`,
    Id: driveId,
    Name: disk.name,
    CapacityBytes: disk.size_bytes,
    MediaType: disk.rotational ? 'HDD' : 'SSD',
    Protocol: disk.rotational ? 'SAS' : 'SATA',
    Identifiers: [{ DurableNameFormat: 'NAA', DurableName: wwn(`${server.uuid}/${driveId}`) }],
    Status: { State: 'Enabled', Health: 'OK' },
    Links: {
      Volumes: (raid?.volumesOf(driveId) ?? [])
        .filter((v) => raid?.volumes.includes(v))
        .map((v) => link(`${volumesPath(ids)}/${v.id}`)),
    },
  };
}

const volume = (ids: ResourceIds, server: ServerIdentity, v: LabVolume): Json => ({
  '@odata.type': '#Volume.v1_6_0.Volume',
  '@odata.id': `${volumesPath(ids)}/${v.id}`,
  Id: v.id,
  Name: v.name,
  RAIDType: v.raidType,
  CapacityBytes: v.capacityBytes,
  Identifiers: [{ DurableNameFormat: 'NAA', DurableName: volumeWwn(server, v.id) }],
  Status: { State: 'Enabled', Health: 'OK' },
  Links: { Drives: v.drives.map((d) => link(`${storagePath(ids)}/Drives/${d}`)) },
});

const volumeCollection = (ids: ResourceIds, raid: RaidController): Json => ({
  '@odata.type': '#VolumeCollection.VolumeCollection',
  '@odata.id': volumesPath(ids),
  Name: 'Volume Collection',
  'Members@odata.count': raid.volumes.length,
  Members: raid.volumes.map((v) => link(`${volumesPath(ids)}/${v.id}`)),
  '@Redfish.OperationApplyTimeSupport': {
    '@odata.type': '#Settings.v1_3_0.OperationApplyTimeSupport',
    SupportedValues: [...raid.applyTimes],
  },
});

/** Storage, drives and (with a RAID controller) the Volumes collection, POST and DELETE. */
export function storageRoutes(system: string, on: OnSystem): Route[] {
  const base = `${system}/Storage/1`;
  const onRaid = (act: (raid: RaidController, ids: ResourceIds, req: Request) => Reply) =>
    on((t, req) => (t.raid ? act(t.raid, t.ids, req) : missing(req.path)));
  return [
    {
      method: 'GET',
      path: `${system}/Storage`,
      handle: on(({ ids }) => ok(storageCollection(ids))),
    },
    {
      method: 'GET',
      path: base,
      handle: on(({ ids, server, raid }) => ok(storage(ids, server, raid))),
    },
    {
      method: 'GET',
      path: `${base}/Drives/{drive}`,
      handle: on(({ ids, server, raid }, req) => {
        const found = drive(ids, server, req.params.drive ?? '', raid);
        return found ? ok(found) : missing(req.path);
      }),
    },
    {
      method: 'GET',
      path: `${base}/Volumes`,
      handle: onRaid((raid, ids) => ok(volumeCollection(ids, raid))),
    },
    {
      method: 'GET',
      path: `${base}/Volumes/{volume}`,
      handle: onRaid((raid, ids, req) => {
        const found = raid.volumes.find((v) => v.id === req.params.volume);
        return found ? ok(volume(ids, raid.server, found)) : missing(req.path);
      }),
    },
    {
      method: 'POST',
      path: `${base}/Volumes`,
      handle: onRaid((raid, ids, req) => createVolume(raid, ids, req.body)),
    },
    {
      method: 'DELETE',
      path: `${base}/Volumes/{volume}`,
      handle: onRaid((raid, _ids, req) =>
        raid.delete(req.params.volume ?? '') ? { status: 204 } : missing(req.path),
      ),
    },
  ];
}

function createVolume(raid: RaidController, ids: ResourceIds, body: unknown): Reply {
  const request = (body ?? {}) as Json;
  const applyTime = request['@Redfish.OperationApplyTime'] ?? 'OnReset';
  if (applyTime !== 'Immediate' && applyTime !== 'OnReset') {
    return fail(
      400,
      'PropertyValueNotInList',
      `The value ${JSON.stringify(applyTime)} for @Redfish.OperationApplyTime is not one of Immediate, OnReset.`,
    );
  }
  if (!raid.applyTimes.includes(applyTime)) {
    return fail(
      400,
      'ActionParameterNotSupported',
      `This controller does not support @Redfish.OperationApplyTime ${applyTime} (supported: ${raid.applyTimes.join(', ')}).`,
    );
  }
  const links = ((request.Links ?? {}) as Json).Drives;
  const drives = (Array.isArray(links) ? links : []).map((d) => {
    const path = String(((d ?? {}) as Json)['@odata.id'] ?? '');
    return path.startsWith(`${storagePath(ids)}/Drives/`) ? (path.split('/').pop() ?? '') : path;
  });
  if (drives.length === 0) {
    return fail(400, 'PropertyMissing', 'A volume needs Links.Drives naming its member drives.');
  }
  const checked = raid.check({
    name: request.Name,
    raidType: request.RAIDType,
    capacityBytes: request.CapacityBytes,
    drives,
  });
  if (typeof checked === 'string') return fail(400, 'PropertyValueConflict', checked);
  const task = raid.add(checked, applyTime);
  if (task) return accepted(task);
  const path = `${volumesPath(ids)}/${checked.id}`;
  return { status: 201, body: volume(ids, raid.server, checked), headers: { Location: path } };
}
