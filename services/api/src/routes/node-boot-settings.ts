import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BOOT_MODES,
  BootModeRequestSchema,
  SecureBootRequestSchema,
  type BootMode,
  type ConductorCommand,
  type ProvisionState,
} from '@ingot/contracts';
import { isStable } from '@ingot/lifecycle';
import { writeNodeRow, type NodeRow } from '@ingot/store';
import { requireEndpoint, V } from '../api-version.js';
import type { BmcCalls } from '../bmc-calls.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, conflict } from '../errors.js';
import { booleanFieldOf, checkDriverInfo, conductorCommand } from '../node-commands.js';
import { refuseIfLocked } from './node-management.js';
import { loadNode, NodeIdent } from './nodes.js';

/**
 * Ironic's UNSTABLE_STATES (ironic/common/states.py): a node moving on its own, whose boot
 * settings the API leaves alone.
 */
const UNSTABLE_STATES: ReadonlySet<ProvisionState> = new Set<ProvisionState>([
  'deploying',
  'wait call-back',
  'cleaning',
  'clean wait',
  'verifying',
  'deleting',
  'inspecting',
  'inspect wait',
  'adopting',
  'rescuing',
  'rescue wait',
  'unrescuing',
  'servicing',
  'service wait',
]);

type SettingCommand = Extract<ConductorCommand, { type: 'node.boot_mode' | 'node.secure_boot' }>;

/**
 * PUT /v1/nodes/{node}/states/boot_mode and .../states/secure_boot (1.76): asynchronous as
 * Ironic's. The API checks what it can (the target, the node's state, that nobody holds it, the
 * BMC's driver_info), clears last_error and queues the change for the site's conductor, which
 * carries it out holding the node and records what the BMC reports in boot_mode or secure_boot,
 * or why it failed in last_error.
 */
export function nodeBootSettingRoutes(deps: ApiDeps, bmc: BmcCalls): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.put(
      '/v1/nodes/:node_ident/states/boot_mode',
      { schema: { params: NodeIdent, body: BootModeRequestSchema } },
      async (request, reply) => {
        requireEndpoint(request, V.NODE_CHANGE_BOOT_MODE);
        const node = await loadNode(deps, request, request.params.node_ident);
        const { target } = request.body;
        if (!(BOOT_MODES as readonly unknown[]).includes(target)) {
          throw badRequest(
            `Invalid boot mode ${target} requested for node. Allowed boot modes are: ${BOOT_MODES.join(', ')}`,
          );
        }
        const mode = target as BootMode;
        await queueSetting(deps, bmc, node, request.id, `boot mode '${mode}' requested`, {
          type: 'node.boot_mode',
          payload: { mode },
        });
        reply.header('Location', statesUrl(request.protocol, request.host, node.uuid));
        return reply.status(202).send();
      },
    );

    app.put(
      '/v1/nodes/:node_ident/states/secure_boot',
      { schema: { params: NodeIdent, body: SecureBootRequestSchema } },
      async (request, reply) => {
        requireEndpoint(request, V.NODE_CHANGE_BOOT_MODE);
        const node = await loadNode(deps, request, request.params.node_ident);
        const { target } = request.body;
        if (target === null) {
          throw badRequest(
            'Invalid secure_boot None requested for node. Allowed secure_boot states are: True, False)',
          );
        }
        const enabled = booleanFieldOf('target', target);
        await queueSetting(
          deps,
          bmc,
          node,
          request.id,
          `secure boot ${enabled ? 'on' : 'off'} requested`,
          { type: 'node.secure_boot', payload: { enabled } },
        );
        reply.header('Location', statesUrl(request.protocol, request.host, node.uuid));
        return reply.status(202).send();
      },
    );
  };
}

const statesUrl = (protocol: string, host: string, uuid: string) =>
  `${protocol}://${host}/v1/nodes/${uuid}/states`;

/**
 * What Ironic checks before it answers 202 (the API's state check, then its conductor's lock and
 * management validation), then last_error cleared and the command queued in one write, which
 * holds only while the node is still where it was checked.
 */
async function queueSetting(
  deps: ApiDeps,
  bmc: BmcCalls,
  node: NodeRow,
  requestId: string,
  event: string,
  command: Pick<SettingCommand, 'type' | 'payload'>,
): Promise<void> {
  if (UNSTABLE_STATES.has(node.provisionState)) {
    throw conflict(
      `Node is in ${node.provisionState} state. Since node is transitioning, the boot mode will not be set as this may interfere with ongoing changes and result in erroneous modification. Try again later.`,
    );
  }
  refuseIfLocked(node);
  refuseIfPending(node);
  checkDriverInfo(node.driver, node.driverInfo, true);
  await bmc.checkSiteServed(node);
  const written = await writeNodeRow(deps.db, {
    uuid: node.uuid,
    set: { lastError: null },
    expect: {
      provisionState: node.provisionState,
      targetProvisionState: node.targetProvisionState,
      targetPowerState: null,
    },
    history: [{ eventType: 'management', event, requestId }],
    outbox: [conductorCommand(deps, node, requestId, command)],
  });
  if (!written) {
    throw conflict(
      `Node ${node.uuid} changed state while the request was checked; please retry after the current operation is completed.`,
    );
  }
}

/**
 * A power change or a provision verb accepted and not started yet: Ironic's node would be locked.
 * (A failed state keeps the target of the operation that failed: nothing is pending there.)
 */
function refuseIfPending(node: NodeRow): void {
  const pending =
    node.targetPowerState ?? (isStable(node.provisionState) ? node.targetProvisionState : null);
  if (pending) {
    throw conflict(
      `Node ${node.uuid} is busy: a change to '${pending}' is in progress, please retry after the current operation is completed.`,
    );
  }
}
