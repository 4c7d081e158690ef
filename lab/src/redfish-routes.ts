import type { BmcAuth } from './bmc-auth.js';
import type { Reply, Request, Route } from './http-routing.js';
import {
  BOOT_OVERRIDE_ENABLED,
  BOOT_OVERRIDE_MODES,
  BOOT_OVERRIDE_TARGETS,
  MEDIA_DEVICES,
  RESET_TYPES,
  type BootOverride,
  type MachineControls,
  type MediaDevice,
  type SimulatedMachine,
} from './machine.js';
import type { BiosSettings } from './bios-settings.js';
import type { FirmwareUpdates } from './firmware-updates.js';
import type { RaidController } from './raid-controller.js';
import { biosRoutes, registryRoutes } from './redfish-bios.js';
import * as resource from './redfish-resources.js';
import { storageRoutes } from './redfish-storage.js';
import { taskRoutes, type TaskService } from './redfish-tasks.js';
import { updateRoutes } from './redfish-update.js';
import type { ServerIdentity } from './server-profile.js';

export interface RouteContext {
  ids: resource.ResourceIds;
  server: ServerIdentity;
  machine: SimulatedMachine;
  auth: BmcAuth;
  /** The system has a SecureBoot resource (false: a BMC that cannot manage secure boot). */
  secureBoot: boolean;
  bios: BiosSettings;
  raid: RaidController;
  firmware: FirmwareUpdates;
  tasks: TaskService;
}

/**
 * One ComputerSystem, its manager and the machine behind both, as a request finds them. BIOS,
 * RAID and firmware are there on a full lab BMC, absent on a light host's tiny systems.
 */
export interface SystemTarget {
  ids: resource.ResourceIds;
  server: ServerIdentity;
  machine: MachineControls;
  bios?: BiosSettings;
  raid?: RaidController;
  firmware?: FirmwareUpdates;
}

/** Wraps a handler of one system's resource: it runs with the system the request's path names. */
export type OnSystem = (act: (t: SystemTarget, req: Request) => Reply) => Route['handle'];

/** A Redfish service publishing one system (a lab BMC) or many (a light BMC host). */
export interface ServiceContext {
  /** UUID of the service root. */
  uuid: string;
  auth: BmcAuth;
  /** Path ids of the system routes: fixed ids, or `{system}` and `{manager}` placeholders. */
  paths: resource.ResourceIds;
  /** The system a request's path parameters name; undefined answers 404. */
  find(params: Record<string, string>): SystemTarget | undefined;
  /** Every system of the service, for the Systems and Managers collections. */
  members(): resource.ResourceIds[];
  /** The systems have a SecureBoot resource (false: BMCs that cannot manage secure boot). */
  secureBoot: boolean;
  /** Service-wide resources beyond the basics (UpdateService, TaskService, Registries). */
  services?: { links: Record<string, string>; routes: Route[] };
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
  const { ids, server, machine, bios, raid, firmware, tasks } = ctx;
  const target: SystemTarget = { ids, server, machine, bios, raid, firmware };
  const root = resource.ROOT;
  return serviceRoutes({
    uuid: ctx.server.uuid,
    auth: ctx.auth,
    paths: ctx.ids,
    find: () => target,
    members: () => [ctx.ids],
    secureBoot: ctx.secureBoot,
    services: {
      links: {
        UpdateService: `${root}/UpdateService`,
        TaskService: `${root}/TaskService`,
        Registries: `${root}/Registries`,
      },
      routes: [
        ...registryRoutes(),
        ...updateRoutes(firmware, tasks, resource.systemPath(ids)),
        ...taskRoutes(tasks),
      ],
    },
  });
}

/** The service root, the collections and the sessions, then every system's resources. */
export function serviceRoutes(ctx: ServiceContext): Route[] {
  const { auth } = ctx;
  return [
    {
      method: 'GET',
      path: resource.ROOT,
      auth: false,
      handle: () => ok(resource.serviceRoot(ctx.uuid, ctx.services?.links)),
    },
    {
      method: 'GET',
      path: `${resource.ROOT}/Systems`,
      handle: () => ok(resource.systemCollection(ctx.members())),
    },
    {
      method: 'GET',
      path: `${resource.ROOT}/Managers`,
      handle: () => ok(resource.managerCollection(ctx.members())),
    },
    ...systemRoutes(ctx),
    ...(ctx.services?.routes ?? []),
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

/** A ComputerSystem's resources and its manager's; each request acts on the system it names. */
function systemRoutes(ctx: ServiceContext): Route[] {
  const system = resource.systemPath(ctx.paths);
  const manager = resource.managerPath(ctx.paths);
  const media = `${manager}/VirtualMedia/{device}`;
  /** A handler of one system's resource: 404 when the path names no system of the service. */
  const on: OnSystem =
    (act) =>
    (req: Request): Reply => {
      const target = ctx.find(req.params);
      return target ? act(target, req) : notFound(req.path);
    };
  const onMedia = (act: (t: SystemTarget, device: MediaDevice, req: Request) => Reply) =>
    on((t, req) =>
      isOneOf(MEDIA_DEVICES, req.params.device)
        ? act(t, req.params.device, req)
        : notFound(req.path),
    );

  return [
    {
      method: 'GET',
      path: system,
      handle: on(({ ids, server, machine, bios, firmware }) =>
        ok(
          resource.system(ids, server, machine, {
            secureBoot: ctx.secureBoot,
            bios: bios !== undefined,
            biosVersion: firmware?.components.BIOS.version,
          }),
        ),
      ),
    },
    { method: 'PATCH', path: system, handle: on((t, req) => patchBoot(t.machine, req.body)) },
    {
      method: 'POST',
      path: `${system}/Actions/ComputerSystem.Reset`,
      handle: on(({ machine }, req) => {
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
      }),
    },
    ...(ctx.secureBoot ? secureBootRoutes(`${system}/SecureBoot`, on) : []),
    {
      method: 'GET',
      path: `${system}/EthernetInterfaces`,
      handle: on(({ ids, server }) => ok(resource.nicCollection(ids, server))),
    },
    {
      method: 'GET',
      path: `${system}/EthernetInterfaces/{nic}`,
      handle: on(({ ids, server }, req) => {
        const nic = resource.nic(ids, server, req.params.nic ?? '');
        return nic ? ok(nic) : notFound(req.path);
      }),
    },
    {
      method: 'GET',
      path: `${system}/Processors`,
      handle: on(({ ids }) => ok(resource.processorCollection(ids))),
    },
    {
      method: 'GET',
      path: `${system}/Processors/CPU1`,
      handle: on(({ ids, server }) => ok(resource.processor(ids, server))),
    },
    ...storageRoutes(system, on),
    ...biosRoutes(system, on),
    {
      method: 'GET',
      path: manager,
      handle: on(({ ids, firmware }) =>
        ok(resource.manager(ids, firmware?.components.BMC.version)),
      ),
    },
    {
      method: 'GET',
      path: `${manager}/VirtualMedia`,
      handle: on(({ ids }) => ok(resource.mediaCollection(ids))),
    },
    {
      method: 'GET',
      path: media,
      handle: onMedia(({ ids, machine }, device) =>
        ok(resource.virtualMedia(ids, machine, device)),
      ),
    },
    {
      method: 'POST',
      path: `${media}/Actions/VirtualMedia.InsertMedia`,
      handle: onMedia(({ machine }, device, req) => insertMedia(machine, device, req.body)),
    },
    {
      method: 'POST',
      path: `${media}/Actions/VirtualMedia.EjectMedia`,
      handle: onMedia(({ machine }, device) => {
        if (machine.media[device].inserted) machine.ejectMedia(device);
        return noContent;
      }),
    },
  ];
}

/** GET and PATCH of the system's SecureBoot resource, as sushy-tools has them. */
function secureBootRoutes(path: string, on: OnSystem): Route[] {
  return [
    {
      method: 'GET',
      path,
      handle: on(({ ids, machine }) => ok(resource.secureBoot(ids, machine))),
    },
    {
      method: 'PATCH',
      path,
      handle: on(({ machine }, req) => {
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
      }),
    },
  ];
}

function patchBoot(machine: MachineControls, body: unknown): Reply {
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

function insertMedia(machine: MachineControls, device: MediaDevice, body: unknown): Reply {
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
