import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BootDeviceAnswerSchema,
  BootDeviceRequestSchema,
  DRIVER_INTERFACES,
  isNoopInterface,
  MaintenanceRequestSchema,
  nodeInterfaces,
  type BootDevice,
  type DriverInterface,
} from '@ingot/contracts';
import { maintenanceChanged } from '@ingot/bus';
import { enqueueOutbox, writeNodeRow, type NodeRow } from '@ingot/store';
import { requireEndpoint, V } from '../api-version.js';
import { bmcFailure, type BmcCalls } from '../bmc-calls.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, badRequest, conflict } from '../errors.js';
import { checkDriverInfo, conductorCommand } from '../node-commands.js';
import { hardwareOf } from '../node-fields.js';
import { loadNode, NodeIdent } from './nodes.js';

const ValidationResult = Type.Object({
  result: Type.Union([Type.Boolean(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
});

/**
 * Node management of Ironic's /v1: validate, boot device (the BMC's, through the site's power
 * workers; a change is carried by the site's conductor while it holds the node), NMI and
 * maintenance.
 */
export function nodeManagementRoutes(deps: ApiDeps, bmc: BmcCalls): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/nodes/:node_ident/validate',
      {
        schema: {
          params: NodeIdent,
          response: { 200: Type.Record(Type.String(), ValidationResult) },
        },
      },
      async (request) => validateNode(await loadNode(deps, request, request.params.node_ident)),
    );

    app.get(
      '/v1/nodes/:node_ident/management/boot_device',
      { schema: { params: NodeIdent, response: { 200: BootDeviceAnswerSchema } } },
      async (request) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        checkDriverInfo(node.driver, node.driverInfo, true);
        return bmc.bootDevice(node, request.id);
      },
    );

    app.get(
      '/v1/nodes/:node_ident/management/boot_device/supported',
      {
        schema: {
          params: NodeIdent,
          response: { 200: Type.Object({ supported_boot_devices: Type.Array(Type.String()) }) },
        },
      },
      async (request) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        return { supported_boot_devices: [...hardwareOf(node.driver).bootDevices] };
      },
    );

    app.put(
      '/v1/nodes/:node_ident/management/boot_device',
      {
        schema: {
          params: NodeIdent,
          body: BootDeviceRequestSchema,
        },
      },
      async (request, reply) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        const { boot_device: device, persistent = false } = request.body;
        const supported = hardwareOf(node.driver).bootDevices;
        if (!(supported as readonly string[]).includes(device)) {
          throw badRequest(
            `Invalid boot device ${device} specified for node ${node.uuid}; valid devices are: ${supported.join(', ')}`,
          );
        }
        checkDriverInfo(node.driver, node.driverInfo, true);
        refuseIfLocked(node);
        const outcome = await bmc.bootDeviceOutcome(node, request.id, () =>
          enqueueOutbox(deps.db, [
            conductorCommand(deps, node, request.id, {
              type: 'node.boot_device',
              payload: { device: device as BootDevice, persistent },
            }),
          ]),
        );
        // No conductor answered in time: the command stays queued and will be carried out.
        if (!outcome) return reply.status(202).send();
        if (!outcome.ok) {
          const error = outcome.error ?? { kind: 'protocol', message: 'unknown failure' };
          throw bmcFailure(error.kind, error.message);
        }
        return reply.status(204).send();
      },
    );

    // Synchronous as Ironic's (its API waits for the conductor): the site's power workers inject
    // it through the BMC, and the answer is the BMC's.
    app.put(
      '/v1/nodes/:node_ident/management/inject_nmi',
      { schema: { params: NodeIdent } },
      async (request, reply) => {
        requireEndpoint(request, V.INJECT_NMI);
        const node = await loadNode(deps, request, request.params.node_ident);
        refuseIfLocked(node);
        checkDriverInfo(node.driver, node.driverInfo, true);
        // Ironic's fake management interface has no inject_nmi: no worker needs asking.
        if (hardwareOf(node.driver).interfaces.management === 'fake') {
          throw badRequest(
            `Driver ${node.driver} does not support inject_nmi (disabled or not implemented).`,
          );
        }
        await bmc.injectNmi(node, request.id);
        return reply.status(204).send();
      },
    );

    app.put(
      '/v1/nodes/:node_ident/maintenance',
      {
        schema: {
          params: NodeIdent,
          // The body may be absent (no reason given).
          body: Type.Union([MaintenanceRequestSchema, Type.Null()]),
          querystring: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 255 })) }),
        },
      },
      async (request, reply) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        const reason = request.body?.reason ?? request.query.reason ?? null;
        await writeMaintenance(deps, node, request.id, {
          maintenance: true,
          reason,
          fault: node.fault,
        });
        return reply.status(202).send();
      },
    );

    app.delete(
      '/v1/nodes/:node_ident/maintenance',
      { schema: { params: NodeIdent } },
      async (request, reply) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        // Leaving maintenance clears the fault that caused it, as in Ironic.
        await writeMaintenance(deps, node, request.id, {
          maintenance: false,
          reason: null,
          fault: null,
        });
        return reply.status(202).send();
      },
    );
  };
}

/** The maintenance columns and their event (maintenance_changed) in one write. */
async function writeMaintenance(
  deps: ApiDeps,
  node: NodeRow,
  requestId: string,
  change: { maintenance: boolean; reason: string | null; fault: string | null },
): Promise<void> {
  await writeNodeRow(deps.db, {
    uuid: node.uuid,
    set: { maintenance: change.maintenance, maintenanceReason: change.reason, fault: change.fault },
    outbox: [maintenanceChanged(deps.bus.subjects, node, { ...change, requestId })],
  });
}

/** Ironic's NodeLocked: a conductor is working on the node. */
export function refuseIfLocked(node: NodeRow): void {
  if (node.leaseOwner && node.leaseExpiresAt && node.leaseExpiresAt > new Date()) {
    throw conflict(
      `Node ${node.uuid} is locked by host ${node.leaseOwner}, please retry after the current operation is completed.`,
    );
  }
}

/**
 * Ironic's per-interface validation, from what the node holds (Ironic's validate does not call
 * the BMC either): power, management, boot and inspect need the BMC's driver_info, deploy needs
 * the image in instance_info, the no-op interfaces are reported unsupported.
 */
/** Interfaces whose implementations all reach the BMC (the rescue and boot ones boot through it). */
const BMC_INTERFACES = new Set<DriverInterface>([
  'power',
  'management',
  'boot',
  'inspect',
  'bios',
  'raid',
  'firmware',
  'rescue',
]);

export function validateNode(
  node: NodeRow,
): Record<DriverInterface, { result: boolean | null; reason: string | null }> {
  const hardware = hardwareOf(node.driver);
  const bmc = failureOf(() => checkDriverInfo(node.driver, node.driverInfo, true));
  const deploy = bmc ?? deployProblem(node);
  const results = {} as Record<DriverInterface, { result: boolean | null; reason: string | null }>;
  // The node's own choices (raid_interface no-raid, boot_interface ipxe, ...) over the defaults.
  const chosen = nodeInterfaces(hardware, node);
  for (const iface of DRIVER_INTERFACES) {
    const implementation = chosen[iface];
    let reason: string | null = null;
    if (isNoopInterface(implementation)) {
      reason = `Driver ${node.driver} does not support ${iface} (disabled or not implemented).`;
    } else if (iface === 'deploy') {
      reason = deploy;
    } else if (BMC_INTERFACES.has(iface)) {
      reason = bmc;
    }
    results[iface] = { result: reason === null, reason };
  }
  return results;
}

function failureOf(check: () => void): string | null {
  try {
    check();
    return null;
  } catch (error) {
    if (error instanceof ApiError) return error.message;
    throw error;
  }
}

/** What the direct deploy needs in instance_info, as Ironic's agent deploy validates it. */
function deployProblem(node: NodeRow): string | null {
  const info = node.instanceInfo;
  const missing: string[] = [];
  if (typeof info.image_source !== 'string' || info.image_source === '')
    missing.push('instance_info.image_source');
  const checksum = info.image_os_hash_value ?? info.image_checksum;
  if (typeof checksum !== 'string' || checksum === '') missing.push('instance_info.image_checksum');
  return missing.length > 0
    ? `Some parameters were missing in node's instance_info. Missing are: ${missing.join(', ')}`
    : null;
}
