import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, ironicErrorBody } from './errors.js';

/**
 * Ironic's microversions (ironic/api/controllers/v1/versions.py). Ingot serves 1.1 to 1.96: 1.96
 * adds the inspection rules Ingot implements, and every node field introduced up to it is either
 * served from Ingot's own data or, for features Ingot does not have, shown with the value that says
 * so (see node-fields.ts) and refused when a client tries to change it.
 */
export const MIN_MINOR = 1;
export const MAX_MINOR = 96;
export const API_MIN_VERSION = `1.${MIN_MINOR}`;
export const API_MAX_VERSION = `1.${MAX_MINOR}`;

/** Minor versions at which behaviour changes, named as in Ironic's versions.py. */
export const V = {
  AVAILABLE_STATE: 2,
  NODE_NAME: 5,
  INSPECT_STATE: 6,
  FIELDS: 8,
  PROVISION_STATE_FILTER: 9,
  ENROLL_STATE: 11,
  RAID_CONFIG: 12,
  ABORT_VERB: 13,
  LINKS_STATES_PROPERTIES: 14,
  MANUAL_CLEAN: 15,
  DRIVER_FILTER: 16,
  ADOPT_VERB: 17,
  PORT_INTERNAL_INFO: 18,
  PORT_ADVANCED_NET_FIELDS: 19,
  RESOURCE_CLASS: 21,
  LOOKUP_HEARTBEAT: 22,
  PORTGROUPS: 23,
  PORTGROUPS_SUBCONTROLLERS: 24,
  PORTGROUP_MODE_PROPERTIES: 26,
  SOFT_POWER_OFF: 27,
  VIFS: 28,
  INJECT_NMI: 29,
  DYNAMIC_DRIVERS: 30,
  VOLUME: 32,
  PORT_PHYSICAL_NETWORK: 34,
  RESCUE: 38,
  INSPECT_WAIT: 39,
  BIOS_INTERFACE: 40,
  TRAITS: 37,
  FAULT: 42,
  DETAIL_QUERY: 43,
  CONDUCTOR_GROUP: 46,
  CONDUCTORS: 49,
  OWNER: 50,
  DESCRIPTION: 51,
  ALLOCATIONS: 52,
  PORT_SMARTNIC: 53,
  DEPLOY_TEMPLATES: 55,
  ALLOCATION_UPDATE: 57,
  ALLOCATION_OWNER: 60,
  LESSEE: 65,
  VIF_ATTACH_PORT: 67,
  AGENT_VERIFY_CA: 68,
  /** deploy_steps with the deploy and rebuild verbs. */
  DEPLOY_STEPS_ARGUMENT: 69,
  DEPLOY_UNDEPLOY_VERBS: 73,
  BIOS_REGISTRY: 74,
  /** PUT .../states/boot_mode and .../states/secure_boot. */
  NODE_CHANGE_BOOT_MODE: 76,
  NODE_HISTORY: 78,
  NODE_INVENTORY: 81,
  SHARD: 82,
  PARENT_NODE: 83,
  CONTINUE_INSPECTION: 84,
  UNHOLD_VERB: 85,
  FIRMWARE_INTERFACE: 86,
  SERVICE_VERB: 87,
  PORT_NAME: 88,
  ATTACH_DETACH_VMEDIA: 89,
  GET_VMEDIA: 93,
  PORT_NODE_NAME: 94,
  INSPECTION_RULES: 96,
} as const;

export const VERSION_HEADER = 'x-openstack-ironic-api-version';
const MIN_HEADER = 'x-openstack-ironic-api-minimum-version';
const MAX_HEADER = 'x-openstack-ironic-api-maximum-version';
/** The standard header (OpenStack API-WG); Ironic reads it first since 2024.2. */
const STANDARD_HEADER = 'openstack-api-version';

declare module 'fastify' {
  interface FastifyRequest {
    /** The minor version of Ironic's API this request is served at (the major is always 1). */
    apiMinor: number;
    /** Whether a version was negotiated (only /v1 requests have one). */
    apiVersioned: boolean;
  }
}

export const notAcceptable = (message: string) => new ApiError(406, message);

/** The `baremetal <version>` entry of `OpenStack-API-Version`, if the client sent one. */
function standardHeaderVersion(value: string | undefined): string | undefined {
  for (const entry of (value ?? '').split(',')) {
    const [service, version, ...rest] = entry.trim().split(/\s+/);
    if (service?.toLowerCase() === 'baremetal' && version && rest.length === 0) return version;
  }
  return undefined;
}

const headerValue = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The version a request asks for, as Ironic's Version.parse_headers reads it: none means the
 * minimum (1.1), `latest` the maximum; anything but `<major>.<minor>` is refused.
 */
export function requestedVersion(request: FastifyRequest): { major: number; minor: number } {
  const raw =
    standardHeaderVersion(headerValue(request, STANDARD_HEADER)) ??
    headerValue(request, VERSION_HEADER) ??
    API_MIN_VERSION;
  const text = raw.trim().toLowerCase() === 'latest' ? API_MAX_VERSION : raw.trim();
  const match = /^(\d+)\.(\d+)$/.exec(text);
  if (!match) {
    throw notAcceptable(`Invalid value for X-OpenStack-Ironic-API-Version header: '${raw}'.`);
  }
  return { major: Number(match[1]), minor: Number(match[2]) };
}

function checkSupported({ major, minor }: { major: number; minor: number }): void {
  const range = `The supported version range is: [${API_MIN_VERSION}, ${API_MAX_VERSION}].`;
  if (major !== 1) {
    throw notAcceptable(
      `Mutually exclusive versions requested. Version ${major}.${minor} requested but not supported by this service. ${range}`,
    );
  }
  if (minor < MIN_MINOR || minor > MAX_MINOR) {
    throw notAcceptable(
      `Version ${major}.${minor} was requested but the minor version is not supported by this service. ${range}`,
    );
  }
}

const isV1 = (url: string) => /^\/v1(\/|\?|$)/.test(url);

/**
 * Microversion negotiation for every /v1 request (Ironic's v1 Controller._add_version_attributes):
 * the version is read before any handler runs, a version outside the range gets 406 with the
 * range, and every /v1 answer (errors included) carries the minimum and maximum; the version
 * used is echoed in `X-OpenStack-Ironic-API-Version` and in `OpenStack-API-Version`.
 */
export function registerVersioning(app: FastifyInstance): void {
  app.decorateRequest('apiMinor', MIN_MINOR);
  app.decorateRequest('apiVersioned', false);
  app.addHook('onRequest', async (request, reply) => {
    if (!isV1(request.url)) return;
    try {
      const version = requestedVersion(request);
      checkSupported(version);
      request.apiMinor = version.minor;
      request.apiVersioned = true;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return reply.status(error.statusCode).send(ironicErrorBody(error.statusCode, error.message));
    }
  });
  app.addHook('onSend', async (request, reply) => {
    if (!isV1(request.url) && request.url.split('?')[0] !== '/') return;
    reply.header(MIN_HEADER, API_MIN_VERSION);
    reply.header(MAX_HEADER, API_MAX_VERSION);
    if (request.apiVersioned) {
      reply.header(VERSION_HEADER, `1.${request.apiMinor}`);
      reply.header(STANDARD_HEADER, `baremetal 1.${request.apiMinor}`);
    }
  });
}

/** 404 below `minor`, as Ironic answers for an endpoint that did not exist yet. */
export function requireEndpoint(request: FastifyRequest, minor: number): void {
  if (request.apiMinor < minor) {
    throw new ApiError(
      404,
      `No resource at ${request.method} ${request.url.split('?')[0]} in API version 1.${request.apiMinor}; it exists from 1.${minor}.`,
    );
  }
}

/**
 * Ironic's answer below the version of a whole resource (its controllers' _route): 404 for a GET,
 * 405 for a method that would change something.
 */
export function requireResource(request: FastifyRequest, minor: number, what: string): void {
  if (request.apiMinor >= minor) return;
  if (request.method === 'GET' || request.method === 'HEAD') requireEndpoint(request, minor);
  throw new ApiError(
    405,
    `The API version does not allow ${what}: 1.${request.apiMinor} was requested, ${what} exist from 1.${minor}.`,
  );
}

/** 406 below `minor`, as Ironic answers for a parameter or field a version does not know. */
export function requireVersion(request: FastifyRequest, minor: number, what: string): void {
  if (request.apiMinor < minor) {
    throw notAcceptable(
      `Request not acceptable: ${what} needs API version 1.${minor} or later; this request uses 1.${request.apiMinor}.`,
    );
  }
}
