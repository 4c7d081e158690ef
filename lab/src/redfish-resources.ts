import type { ServerIdentity } from './server-profile.js';
import {
  BOOT_OVERRIDE_ENABLED,
  BOOT_OVERRIDE_MODES,
  BOOT_OVERRIDE_TARGETS,
  RESET_TYPES,
  type MachineControls,
  type MediaDevice,
} from './machine.js';

/** The ids under which one BMC publishes its resources. */
export interface ResourceIds {
  system: string;
  manager: string;
}

type Json = Record<string, unknown>;

export const ROOT = '/redfish/v1';
export const SESSIONS = `${ROOT}/SessionService/Sessions`;
export const systemPath = (ids: ResourceIds) => `${ROOT}/Systems/${ids.system}`;
export const managerPath = (ids: ResourceIds) => `${ROOT}/Managers/${ids.manager}`;
const link = (path: string) => ({ '@odata.id': path });

const collection = (path: string, type: string, name: string, members: string[]): Json => ({
  '@odata.type': `#${type}Collection.${type}Collection`,
  '@odata.id': path,
  Name: name,
  'Members@odata.count': members.length,
  Members: members.map(link),
});

/** The service root; `links` adds optional services (UpdateService, TaskService, Registries). */
export function serviceRoot(uuid: string, links: Record<string, string> = {}): Json {
  return {
    '@odata.type': '#ServiceRoot.v1_5_0.ServiceRoot',
    '@odata.id': `${ROOT}/`,
    Id: 'RootService',
    Name: 'Ingot lab Redfish service',
    RedfishVersion: '1.6.0',
    UUID: uuid,
    Systems: link(`${ROOT}/Systems`),
    Managers: link(`${ROOT}/Managers`),
    SessionService: link(`${ROOT}/SessionService`),
    ...Object.fromEntries(Object.entries(links).map(([name, path]) => [name, link(path)])),
    Links: { Sessions: link(SESSIONS) },
  };
}

export const systemCollection = (members: ResourceIds[]): Json =>
  collection(
    `${ROOT}/Systems`,
    'ComputerSystem',
    'Computer System Collection',
    members.map(systemPath),
  );

export function system(
  ids: ResourceIds,
  server: ServerIdentity,
  machine: MachineControls,
  opts: { secureBoot: boolean; bios?: boolean; biosVersion?: string },
): Json {
  const path = systemPath(ids);
  return {
    '@odata.type': '#ComputerSystem.v1_13_0.ComputerSystem',
    '@odata.id': path,
    Id: ids.system,
    Name: server.name,
    UUID: server.uuid,
    Manufacturer: 'Ingot lab',
    Status: { State: 'Enabled', Health: 'OK' },
    PowerState: machine.power,
    Boot: {
      BootSourceOverrideEnabled: machine.boot.enabled,
      BootSourceOverrideTarget: machine.boot.target,
      BootSourceOverrideMode: machine.boot.mode,
      'BootSourceOverrideEnabled@Redfish.AllowableValues': BOOT_OVERRIDE_ENABLED,
      'BootSourceOverrideTarget@Redfish.AllowableValues': BOOT_OVERRIDE_TARGETS,
      'BootSourceOverrideMode@Redfish.AllowableValues': BOOT_OVERRIDE_MODES,
    },
    ProcessorSummary: { Count: server.profile.cpus },
    MemorySummary: { TotalSystemMemoryGiB: server.profile.memory_mb / 1024 },
    EthernetInterfaces: link(`${path}/EthernetInterfaces`),
    Processors: link(`${path}/Processors`),
    Storage: link(`${path}/Storage`),
    ...(opts.secureBoot ? { SecureBoot: link(secureBootPath(ids)) } : {}),
    ...(opts.bios ? { Bios: link(`${path}/Bios`) } : {}),
    ...(opts.biosVersion ? { BiosVersion: opts.biosVersion } : {}),
    Links: { ManagedBy: [link(managerPath(ids))] },
    Actions: {
      '#ComputerSystem.Reset': {
        target: `${path}/Actions/ComputerSystem.Reset`,
        'ResetType@Redfish.AllowableValues': RESET_TYPES,
      },
    },
  };
}

export const secureBootPath = (ids: ResourceIds) => `${systemPath(ids)}/SecureBoot`;

/**
 * UEFI secure boot, as sushy-tools serves it: the setting, and the current boot taken to follow it
 * (a lab server applies firmware settings at once).
 */
export const secureBoot = (ids: ResourceIds, machine: MachineControls): Json => ({
  '@odata.type': '#SecureBoot.v1_1_0.SecureBoot',
  '@odata.id': secureBootPath(ids),
  Id: 'SecureBoot',
  Name: 'UEFI Secure Boot',
  SecureBootEnable: machine.secureBoot,
  SecureBootCurrentBoot: machine.secureBoot ? 'Enabled' : 'Disabled',
  SecureBootMode: 'DeployedMode',
});

export const nicIds = (server: ServerIdentity) => server.macs.map((_, i) => `NIC${i + 1}`);

export const nicCollection = (ids: ResourceIds, server: ServerIdentity): Json =>
  collection(
    `${systemPath(ids)}/EthernetInterfaces`,
    'EthernetInterface',
    'Ethernet Interface Collection',
    nicIds(server).map((nic) => `${systemPath(ids)}/EthernetInterfaces/${nic}`),
  );

export function nic(ids: ResourceIds, server: ServerIdentity, nicId: string): Json | undefined {
  const mac = server.macs[nicIds(server).indexOf(nicId)];
  if (!mac) return undefined;
  return {
    '@odata.type': '#EthernetInterface.v1_4_0.EthernetInterface',
    '@odata.id': `${systemPath(ids)}/EthernetInterfaces/${nicId}`,
    Id: nicId,
    Name: nicId,
    MACAddress: mac,
    PermanentMACAddress: mac,
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

export const processorCollection = (ids: ResourceIds): Json =>
  collection(`${systemPath(ids)}/Processors`, 'Processor', 'Processors Collection', [
    `${systemPath(ids)}/Processors/CPU1`,
  ]);

/** One socket holding every core of the profile. */
export const processor = (ids: ResourceIds, server: ServerIdentity): Json => ({
  '@odata.type': '#Processor.v1_7_0.Processor',
  '@odata.id': `${systemPath(ids)}/Processors/CPU1`,
  Id: 'CPU1',
  Name: 'CPU1',
  ProcessorType: 'CPU',
  ProcessorArchitecture: 'x86',
  InstructionSet: 'x86-64',
  Model: 'Lab Virtual CPU',
  TotalCores: server.profile.cpus,
  TotalThreads: server.profile.cpus,
  Status: { State: 'Enabled', Health: 'OK' },
});

export const managerCollection = (members: ResourceIds[]): Json =>
  collection(`${ROOT}/Managers`, 'Manager', 'Manager Collection', members.map(managerPath));

export const manager = (ids: ResourceIds, firmwareVersion?: string): Json => ({
  '@odata.type': '#Manager.v1_5_0.Manager',
  '@odata.id': managerPath(ids),
  Id: ids.manager,
  Name: 'Ingot lab BMC',
  ManagerType: 'BMC',
  ...(firmwareVersion ? { FirmwareVersion: firmwareVersion } : {}),
  VirtualMedia: link(`${managerPath(ids)}/VirtualMedia`),
  Links: { ManagerForServers: [link(systemPath(ids))] },
});

export const mediaCollection = (ids: ResourceIds): Json =>
  collection(
    `${managerPath(ids)}/VirtualMedia`,
    'VirtualMedia',
    'Virtual Media Collection',
    ['Cd', 'Usb'].map((device) => `${managerPath(ids)}/VirtualMedia/${device}`),
  );

const MEDIA_TYPES: Record<MediaDevice, string[]> = { Cd: ['CD', 'DVD'], Usb: ['USBStick'] };

export function virtualMedia(ids: ResourceIds, machine: MachineControls, device: MediaDevice) {
  const path = `${managerPath(ids)}/VirtualMedia/${device}`;
  const media = machine.media[device];
  return {
    '@odata.type': '#VirtualMedia.v1_4_0.VirtualMedia',
    '@odata.id': path,
    Id: device,
    Name: `Virtual ${device}`,
    MediaTypes: MEDIA_TYPES[device],
    ConnectedVia: media.inserted ? 'URI' : 'NotConnected',
    Image: media.image,
    ImageName: media.image?.split('/').pop() ?? null,
    Inserted: media.inserted,
    WriteProtected: media.writeProtected,
    Actions: {
      '#VirtualMedia.InsertMedia': { target: `${path}/Actions/VirtualMedia.InsertMedia` },
      '#VirtualMedia.EjectMedia': { target: `${path}/Actions/VirtualMedia.EjectMedia` },
    },
  };
}

export const sessionService = (): Json => ({
  '@odata.type': '#SessionService.v1_1_6.SessionService',
  '@odata.id': `${ROOT}/SessionService`,
  Id: 'SessionService',
  Name: 'Session Service',
  ServiceEnabled: true,
  SessionTimeout: 1800,
  Sessions: link(SESSIONS),
});

export const sessionCollection = (sessionIds: string[]): Json =>
  collection(
    SESSIONS,
    'Session',
    'Session Collection',
    sessionIds.map((id) => `${SESSIONS}/${id}`),
  );

export const session = (id: string, username: string): Json => ({
  '@odata.type': '#Session.v1_1_0.Session',
  '@odata.id': `${SESSIONS}/${id}`,
  Id: id,
  Name: `Session ${id}`,
  UserName: username,
});

/** A Redfish error body, as a client library would parse it. */
export const redfishError = (messageId: string, message: string): Json => ({
  error: {
    code: `Base.1.8.${messageId}`,
    message,
    '@Message.ExtendedInfo': [
      {
        '@odata.type': '#Message.v1_0_0.Message',
        MessageId: `Base.1.8.${messageId}`,
        Message: message,
        Severity: 'Warning',
      },
    ],
  },
});
