import type { BmcAuth } from './bmc-auth.js';
import type { Reply, Request, Route } from './http-routing.js';
import {
  BOOT_OVERRIDE_ENABLED,
  BOOT_OVERRIDE_MODES,
  BOOT_OVERRIDE_TARGETS,
  MEDIA_DEVICES,
  RESET_TYPES,
  type BootOverride,
  type MediaDevice,
  type SimulatedMachine,
} from './machine.js';
import * as resource from './redfish-resources.js';
import type { ServerIdentity } from './server-profile.js';

export interface RouteContext {
  ids: resource.ResourceIds;
  server: ServerIdentity;
  machine: SimulatedMachine;
  auth: BmcAuth;
  /** The system has a SecureBoot resource (false: a BMC that cannot manage secure boot). */
  secureBoot: boolean;
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const noContent: Reply = { status: 204 };
export const errorReply = (status: number, messageId: string, message: string): Reply => ({
  status,
  body: resource.redfishError(messageId, message),
});
const notFound = (path: string) =>
  errorReply(404, 'ResourceMissingAtURI', `The resource at the URI ${path} was not found.`);
const badValue = (value: unknown, property: string) =>
  errorReply(
    400,
    'PropertyValueNotInList',
    `The value ${JSON.stringify(value)} for the property ${property} is not in the list of acceptable values.`,
  );

const isOneOf = <T extends string>(list: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (list as readonly string[]).includes(value);

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

/** The Redfish resources of one BMC and what each verb does to the simulated machine. */
export function redfishRoutes(ctx: RouteContext): Route[] {
  const { ids, server, machine, auth, secureBoot } = ctx;
  const system = resource.systemPath(ids);
  const manager = resource.managerPath(ids);
  const media = `${manager}/VirtualMedia/{device}`;
  const withMedia = (req: Request, act: (device: MediaDevice) => Reply): Reply =>
    isOneOf(MEDIA_DEVICES, req.params.device) ? act(req.params.device) : notFound(req.path);

  return [
    {
      method: 'GET',
      path: resource.ROOT,
      auth: false,
      handle: () => ok(resource.serviceRoot(server)),
    },
    {
      method: 'GET',
      path: `${resource.ROOT}/Systems`,
      handle: () => ok(resource.systemCollection(ids)),
    },
    {
      method: 'GET',
      path: system,
      handle: () => ok(resource.system(ids, server, machine, { secureBoot })),
    },
    { method: 'PATCH', path: system, handle: (req) => patchBoot(machine, req.body) },
    {
      method: 'POST',
      path: `${system}/Actions/ComputerSystem.Reset`,
      handle: (req) => {
        const type = record(req.body).ResetType;
        if (!isOneOf(RESET_TYPES, type)) {
          return errorReply(
            400,
            'ActionParameterValueNotInList',
            `The value ${JSON.stringify(type)} for the parameter ResetType in the action ComputerSystem.Reset is not in the list of acceptable values.`,
          );
        }
        machine.reset(type);
        return noContent;
      },
    },
    ...(secureBoot ? secureBootRoutes(ids, machine) : []),
    {
      method: 'GET',
      path: `${system}/EthernetInterfaces`,
      handle: () => ok(resource.nicCollection(ids, server)),
    },
    {
      method: 'GET',
      path: `${system}/EthernetInterfaces/{nic}`,
      handle: (req) => {
        const nic = resource.nic(ids, server, req.params.nic ?? '');
        return nic ? ok(nic) : notFound(req.path);
      },
    },
    {
      method: 'GET',
      path: `${system}/Processors`,
      handle: () => ok(resource.processorCollection(ids)),
    },
    {
      method: 'GET',
      path: `${system}/Processors/CPU1`,
      handle: () => ok(resource.processor(ids, server)),
    },
    { method: 'GET', path: `${system}/Storage`, handle: () => ok(resource.storageCollection(ids)) },
    { method: 'GET', path: `${system}/Storage/1`, handle: () => ok(resource.storage(ids, server)) },
    {
      method: 'GET',
      path: `${system}/Storage/1/Drives/{drive}`,
      handle: (req) => {
        const found = resource.drive(ids, server, req.params.drive ?? '');
        return found ? ok(found) : notFound(req.path);
      },
    },
    {
      method: 'GET',
      path: `${resource.ROOT}/Managers`,
      handle: () => ok(resource.managerCollection(ids)),
    },
    { method: 'GET', path: manager, handle: () => ok(resource.manager(ids)) },
    {
      method: 'GET',
      path: `${manager}/VirtualMedia`,
      handle: () => ok(resource.mediaCollection(ids)),
    },
    {
      method: 'GET',
      path: media,
      handle: (req) => withMedia(req, (device) => ok(resource.virtualMedia(ids, machine, device))),
    },
    {
      method: 'POST',
      path: `${media}/Actions/VirtualMedia.InsertMedia`,
      handle: (req) => withMedia(req, (device) => insertMedia(machine, device, req.body)),
    },
    {
      method: 'POST',
      path: `${media}/Actions/VirtualMedia.EjectMedia`,
      handle: (req) =>
        withMedia(req, (device) => {
          if (machine.media[device].inserted) machine.ejectMedia(device);
          return noContent;
        }),
    },
    {
      method: 'GET',
      path: `${resource.ROOT}/SessionService`,
      handle: () => ok(resource.sessionService()),
    },
    {
      method: 'GET',
      path: resource.SESSIONS,
      handle: () => ok(resource.sessionCollection(auth.sessionIds())),
    },
    {
      method: 'POST',
      path: resource.SESSIONS,
      auth: false,
      handle: (req) => {
        const body = record(req.body);
        if (!auth.matches(body.UserName, body.Password)) {
          return errorReply(401, 'NoValidSession', 'Invalid username or password.');
        }
        const { id, token } = auth.openSession();
        return {
          status: 201,
          body: resource.session(id, String(body.UserName)),
          headers: { 'X-Auth-Token': token, Location: `${resource.SESSIONS}/${id}` },
        };
      },
    },
    {
      method: 'GET',
      path: `${resource.SESSIONS}/{session}`,
      handle: (req) => {
        const session = auth.findSession(req.params.session ?? '');
        return session ? ok(resource.session(session.id, session.username)) : notFound(req.path);
      },
    },
    {
      method: 'DELETE',
      path: `${resource.SESSIONS}/{session}`,
      handle: (req) =>
        auth.closeSession(req.params.session ?? '') ? noContent : notFound(req.path),
    },
  ];
}

/** GET and PATCH of the system's SecureBoot resource, as sushy-tools has them. */
function secureBootRoutes(ids: resource.ResourceIds, machine: SimulatedMachine): Route[] {
  const path = resource.secureBootPath(ids);
  return [
    { method: 'GET', path, handle: () => ok(resource.secureBoot(ids, machine)) },
    {
      method: 'PATCH',
      path,
      handle: (req) => {
        const body = record(req.body);
        if (!('SecureBootEnable' in body)) {
          return errorReply(
            400,
            'PropertyMissing',
            'The request body has no SecureBootEnable property to change.',
          );
        }
        const enable = body.SecureBootEnable;
        if (typeof enable !== 'boolean') {
          return errorReply(
            400,
            'PropertyValueTypeError',
            `The value ${JSON.stringify(enable)} for the property SecureBootEnable is not a boolean.`,
          );
        }
        // sushy-tools' libvirt driver refuses the same: secure boot is a UEFI feature.
        if (enable && machine.boot.mode === 'Legacy') {
          return errorReply(
            400,
            'ActionNotSupported',
            'Legacy boot mode does not support secure boot.',
          );
        }
        machine.secureBoot = enable;
        return noContent;
      },
    },
  ];
}

function patchBoot(machine: SimulatedMachine, body: unknown): Reply {
  const boot = record(record(body).Boot);
  const change: Partial<BootOverride> = {};
  const fields = [
    ['BootSourceOverrideEnabled', BOOT_OVERRIDE_ENABLED, 'enabled'],
    ['BootSourceOverrideTarget', BOOT_OVERRIDE_TARGETS, 'target'],
    ['BootSourceOverrideMode', BOOT_OVERRIDE_MODES, 'mode'],
  ] as const;
  for (const [property, allowed, key] of fields) {
    if (!(property in boot)) continue;
    const value = boot[property];
    if (!isOneOf<string>(allowed, value)) return badValue(value, property);
    Object.assign(change, { [key]: value });
  }
  if (Object.keys(change).length === 0) {
    return errorReply(400, 'PropertyMissing', 'The request body has no Boot property to change.');
  }
  machine.setBoot(change);
  return noContent;
}

function insertMedia(machine: SimulatedMachine, device: MediaDevice, body: unknown): Reply {
  const { Image, Inserted, WriteProtected } = record(body);
  if (typeof Image !== 'string' || Image === '') {
    return errorReply(
      400,
      'ActionParameterMissing',
      'The action InsertMedia requires the parameter Image.',
    );
  }
  if (Inserted === false) return noContent;
  if (machine.media[device].inserted) {
    return errorReply(
      409,
      'ResourceInUse',
      `Virtual media ${device} already holds an image; eject it first.`,
    );
  }
  machine.insertMedia(device, Image, WriteProtected !== false);
  return noContent;
}
