import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { ConductorCommand, PowerRequest, ProvisionVerb } from '@ingot/contracts';
import { isNoopInterface } from '@ingot/contracts';
import { traceHeaders } from '@ingot/bus';
import { applyVerb, conductorCanCarryOut, isFailedState, isStable } from '@ingot/lifecycle';
import { nodes, writeNodeRow, type NodeRow, type OutboxMessage } from '@ingot/store';
import type { CommandDeps } from './deps.js';
import { checkDriverInfo } from './driver-info.js';
import { conflict, invalid } from './errors.js';
import { hardwareOf } from './hardware.js';
import { HASHED_RESCUE_PASSWORD, hashRescuePassword } from './rescue-password.js';

const NEEDS_BMC = new Set<ProvisionVerb>([
  'manage',
  'provide',
  'inspect',
  'clean',
  'active',
  'deploy',
  'rebuild',
  'adopt',
  'rescue',
  'unrescue',
]);
const DEPLOYS = new Set<ProvisionVerb>(['active', 'deploy', 'rebuild']);

export interface ProvisionExtras {
  cleanSteps?: Record<string, unknown>[];
  serviceSteps?: Record<string, unknown>[];
  deploySteps?: Record<string, unknown>[];
  configDrive?: string | Record<string, unknown>;
  /** The rescue user's password (API 1.38): stored only as its hash (see rescue-password.ts). */
  rescuePassword?: string;
}

/** A node is busy while an operation runs on it, or while a verb waits for the conductor. */
function busyWith(node: NodeRow): string | undefined {
  const state = node.provisionState;
  if (!isStable(state) && !isFailedState(state)) return `state '${state}' is in progress`;
  if (node.targetProvisionState && isStable(state))
    return `a request towards '${node.targetProvisionState}' is queued`;
  return undefined;
}

function checkProvisionInput(node: NodeRow, verb: ProvisionVerb, extras: ProvisionExtras): void {
  if (NEEDS_BMC.has(verb)) checkDriverInfo(node.driver, node.driverInfo, true);
  if (verb === 'clean') checkSteps('clean_steps', extras.cleanSteps, 'a manual clean');
  if (verb === 'service') checkSteps('service_steps', extras.serviceSteps, 'servicing');
  checkRescue(node, verb, extras.rescuePassword);
  if (extras.deploySteps !== undefined) {
    if (!DEPLOYS.has(verb))
      throw invalid(`Field 'deploy_steps' is only for deploying and rebuilding, not '${verb}'`);
    checkSteps('deploy_steps', extras.deploySteps, 'a deploy with steps');
    extras.deploySteps.forEach((step, i) => {
      if (!Number.isInteger(step.priority) || (step.priority as number) < 0)
        throw invalid(`Field 'deploy_steps[${i}].priority' must be an integer of 0 or more`);
    });
  }
  // A fake deploy interface validates nothing, as Ironic's: it never reads the image.
  const deploysFake = hardwareOf(node.driver).interfaces.deploy === 'fake';
  if ((DEPLOYS.has(verb) || verb === 'adopt') && !deploysFake) {
    const info = node.instanceInfo;
    if (typeof info.image_source !== 'string' || info.image_source === '') {
      throw invalid("Field 'instance_info.image_source' is required to deploy or adopt");
    }
    const checksum = info.image_os_hash_value ?? info.image_checksum;
    if (verb !== 'adopt' && (typeof checksum !== 'string' || checksum === '')) {
      throw invalid(
        "Field 'instance_info.image_checksum' (or image_os_hash_algo + image_os_hash_value) is required to deploy",
      );
    }
  }
}

/** As Ironic's API: rescue needs a password, no other verb takes one, and a rescue interface. */
function checkRescue(node: NodeRow, verb: ProvisionVerb, password: string | undefined): void {
  if (password !== undefined && verb !== 'rescue')
    throw invalid(
      "Field 'rescue_password' is only valid when setting target provision state to rescue",
    );
  if (verb === 'rescue' && !password?.trim())
    throw invalid(
      "A non-empty 'rescue_password' is required when setting target provision state to rescue",
    );
  if (
    (verb === 'rescue' || verb === 'unrescue') &&
    isNoopInterface(hardwareOf(node.driver).interfaces.rescue)
  )
    throw invalid(`Driver ${node.driver} does not support rescue (disabled or not implemented).`);
}

/** The steps a manual clean or a servicing asks for: a list of {interface, step, args?}. */
function checkSteps(
  field: string,
  steps: Record<string, unknown>[] | undefined,
  what: string,
): void {
  if (!steps || steps.length === 0) throw invalid(`Field '${field}' is required for ${what}`);
  steps.forEach((step, i) => {
    if (typeof step.interface !== 'string' || typeof step.step !== 'string') {
      throw invalid(`Field '${field}[${i}]' needs an 'interface' and a 'step'`);
    }
    if (
      step.args !== undefined &&
      (typeof step.args !== 'object' || step.args === null || Array.isArray(step.args))
    ) {
      throw invalid(`Field '${field}[${i}].args' must be an object`);
    }
  });
}

/**
 * Accepts a provision verb: checks it against the state machine and queues it for the conductor.
 * Returns whether the verb ends in the state the node is in now (inspect and clean from
 * `manageable`, rebuild from `active`), for `awaitPickup`.
 */
export async function requestProvision(
  deps: Pick<CommandDeps, 'db' | 'bus'>,
  node: NodeRow,
  verb: ProvisionVerb,
  requestId: string,
  extras: ProvisionExtras = {},
): Promise<{ endsWhereItStarts: boolean }> {
  const busy = busyWith(node);
  if (busy && verb !== 'abort') throw conflict(`Node ${node.uuid} is busy: ${busy}`);
  const result = applyVerb(node.provisionState, verb, { currentTarget: node.targetProvisionState });
  if (!result.ok) throw invalid(result.reason);
  if (!conductorCanCarryOut(result))
    throw invalid(`Ingot does not implement the '${verb}' verb yet`);
  checkProvisionInput(node, verb, extras);

  const written = await writeNodeRow(deps.db, {
    uuid: node.uuid,
    set: {
      // An abort is applied by the conductor; the target it leaves is the state machine's.
      ...(verb === 'abort' ? {} : { targetProvisionState: result.target }),
      ...(extras.configDrive !== undefined
        ? { instanceInfo: { ...node.instanceInfo, configdrive: extras.configDrive } }
        : {}),
      // Hashed here, so the password in clear is in no row and no message (Ironic hashes it in
      // its conductor, which its API reaches by RPC).
      ...(verb === 'rescue' && extras.rescuePassword !== undefined
        ? {
            instanceInfo: {
              ...node.instanceInfo,
              [HASHED_RESCUE_PASSWORD]: hashRescuePassword(extras.rescuePassword),
            },
          }
        : {}),
    },
    expect: {
      provisionState: node.provisionState,
      targetProvisionState: node.targetProvisionState,
    },
    history: [
      {
        eventType: 'provisioning',
        event: `'${verb}' accepted`,
        requestId,
        fromState: node.provisionState,
      },
    ],
    outbox: [
      conductorCommand(deps, node, requestId, {
        type: 'node.provision',
        payload: {
          verb,
          ...(extras.cleanSteps ? { clean_steps: extras.cleanSteps } : {}),
          ...(extras.serviceSteps ? { service_steps: extras.serviceSteps } : {}),
          ...(extras.deploySteps ? { deploy_steps: extras.deploySteps } : {}),
        },
      }),
    ],
  });
  if (!written) throw conflict(`Node ${node.uuid} changed while the request was checked; retry`);
  return { endsWhereItStarts: verb !== 'abort' && result.target === node.provisionState };
}

/** How long `awaitPickup` waits for the conductor; past it the 202 goes out anyway. */
export const PICKUP_WAIT_MS = 3_000;

/**
 * Waits (bounded) until the conductor has taken the queued verb: the node left `from`, or the
 * request is over (no target any more, done or refused).
 *
 * Ironic's API hands a provision verb to its conductor with a synchronous RPC call, and the
 * conductor moves the node into the verb's transitional state (`inspecting`, `cleaning`,
 * `deploying`) before the API answers 202. Clients rely on it: `baremetal node inspect --wait`
 * (ironicclient's wait_for_provision_state) returns as soon as it reads `manageable`, so if the
 * node still rested in `manageable` with only a target set, the CLI would report an inspection
 * that had not even started. Ingot queues verbs through the outbox, so for the verbs that end
 * where they start the API waits here for the conductor before answering; the others are
 * unambiguous (a client waits for a different state) and answer at once.
 */
export async function awaitPickup(
  deps: Pick<CommandDeps, 'db' | 'bus'>,
  uuid: string,
  from: string,
  timeoutMs = PICKUP_WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await deps.db
      .select({ state: nodes.provisionState, target: nodes.targetProvisionState })
      .from(nodes)
      .where(eq(nodes.uuid, uuid));
    if (!row || row.state !== from || row.target === null) return;
    if (Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Accepts a power change and queues it for the conductor. */
export async function requestPower(
  deps: Pick<CommandDeps, 'db' | 'bus'>,
  node: NodeRow,
  body: PowerRequest,
  requestId: string,
): Promise<void> {
  if (node.targetPowerState) {
    throw conflict(
      `Node ${node.uuid} is busy: a change to '${node.targetPowerState}' is in progress`,
    );
  }
  checkDriverInfo(node.driver, node.driverInfo, true);
  const written = await writeNodeRow(deps.db, {
    uuid: node.uuid,
    set: { targetPowerState: body.target },
    expect: { targetPowerState: null },
    history: [
      {
        eventType: 'power',
        event: `'${body.target}' accepted`,
        requestId,
        fromState: node.powerState,
      },
    ],
    outbox: [
      conductorCommand(deps, node, requestId, {
        type: 'node.power',
        payload: { target: body.target, ...(body.timeout ? { timeout_s: body.timeout } : {}) },
      }),
    ],
  });
  if (!written) throw conflict(`Node ${node.uuid} is busy with another power change`);
}

/** A command for the node's site conductors, as an outbox row for the caller's transaction. */
export function conductorCommand(
  deps: Pick<CommandDeps, 'db' | 'bus'>,
  node: NodeRow,
  requestId: string,
  command: Pick<ConductorCommand, 'type' | 'payload'>,
): OutboxMessage {
  const id = randomUUID();
  return {
    id,
    subject: deps.bus.subjects.conductor(node.conductorGroup),
    headers: traceHeaders(),
    payload: {
      id,
      ...command,
      site: node.conductorGroup,
      node_uuid: node.uuid,
      request_id: requestId,
      issued_at: new Date().toISOString(),
    },
  };
}
