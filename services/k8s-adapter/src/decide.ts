import type { ProvisionState, ProvisionVerb } from '@ingot/contracts';
import type { ErrorType, ProvisioningState } from '@ingot/metal3';
import type { NodeRow } from '@ingot/store';

/** What the host asks for, read from its spec and annotations. */
export interface Desired {
  deleting: boolean;
  externallyProvisioned: boolean;
  hasImage: boolean;
  online: boolean;
  inspectDisabled: boolean;
  /** The inspect annotation holds a value other than `disabled`: inspect again. */
  reinspect: boolean;
  /** A reboot annotation is present: the server stays off until the last one goes. */
  rebootMode: 'hard' | 'soft' | undefined;
  /** The credentials Secret's resourceVersion, which the node was last registered with or not. */
  credentialsVersion: string;
  /** RAID, BIOS settings or firmware updates to apply before the host is available (preparing). */
  prepare?: boolean;
  /** Why the host's RAID or firmware configuration cannot be applied, for a preparation error. */
  prepareProblem?: string;
  /** BIOS settings or firmware updates to apply to the provisioned host (servicing). */
  service?: boolean;
}

/** The one step toward the desired state that the reconciler takes now. */
export type Step =
  | { kind: 'wait' }
  | { kind: 'verb'; verb: ProvisionVerb }
  | { kind: 'deploy' }
  /** A manual clean with the preparation's steps (after setting target_raid_config). */
  | { kind: 'prepare' }
  /** Servicing with the service steps of the host's firmware changes. */
  | { kind: 'service' }
  | { kind: 'power'; target: 'power on' | 'power off' | 'soft power off' }
  | { kind: 'delete-node' }
  | { kind: 'retry-later'; verb: ProvisionVerb };

export interface Decision {
  state: ProvisioningState;
  error?: { type: ErrorType; message: string };
  /** The operational status when there is no error: servicing while the server is serviced. */
  operational?: 'servicing';
  step: Step;
}

const RESTING: readonly ProvisionState[] = ['manageable', 'available', 'active'];

/** What the node's extra says about the host it serves (written by the adapter, kept by Ingot). */
export interface HostRecord {
  /** Secret resourceVersion whose credentials the node's driver_info holds. */
  credentialsVersion?: string;
  /** Secret resourceVersion the last registration (`manage`) was attempted with. */
  registeredVersion?: string;
}

export const hostRecordOf = (node: NodeRow): HostRecord =>
  ((node.extra as Record<string, unknown>).metal3 ?? {}) as HostRecord;

/** The power step a resting host needs, from `online` and the reboot annotations. */
function powerStep(desired: Desired, node: NodeRow): Step {
  if (node.targetPowerState || node.maintenance) return { kind: 'wait' };
  const wantOn = desired.online && desired.rebootMode === undefined;
  const isOn = node.powerState === 'power on';
  if (wantOn && !isOn) return { kind: 'power', target: 'power on' };
  if (!wantOn && isOn)
    return {
      kind: 'power',
      target: desired.rebootMode === 'soft' ? 'soft power off' : 'power off',
    };
  return { kind: 'wait' };
}

const lastError = (node: NodeRow) => node.lastError ?? 'no detail recorded';

/**
 * The BareMetalHost state of a node and the next step, from the host's desired state and the node
 * as PostgreSQL has it: baremetal-operator's state machine, computed instead of stored, so any
 * restart or missed event leads to the same answer.
 */
export function decide(desired: Desired, node: NodeRow, inspected: boolean): Decision {
  const decision = decideState(desired, node, inspected);
  // Ingot puts a node whose BMC stops answering power reads in maintenance with fault
  // 'power failure' (Ironic's power sync); Metal3 shows that as a power management error.
  if (!decision.error && node.fault === 'power failure')
    return {
      ...decision,
      error: {
        type: 'power management error',
        message: node.maintenanceReason ?? 'the BMC does not answer power state reads',
      },
    };
  return decision;
}

function decideState(desired: Desired, node: NodeRow, inspected: boolean): Decision {
  const ps = node.provisionState;
  const busy = node.targetProvisionState !== null && !ps.endsWith('failed');
  if (desired.deleting) return decideDelete(desired, node);
  switch (ps) {
    case 'enroll': {
      if (busy) return { state: 'registering', step: { kind: 'wait' } };
      const record = hostRecordOf(node);
      if (node.lastError && record.registeredVersion === desired.credentialsVersion) {
        // Registration failed with these credentials; a changed Secret (or address) retries.
        return {
          state: 'registering',
          error: { type: 'registration error', message: lastError(node) },
          step: { kind: 'wait' },
        };
      }
      return { state: 'registering', step: { kind: 'verb', verb: 'manage' } };
    }
    case 'verifying':
      return { state: 'registering', step: { kind: 'wait' } };
    case 'manageable':
      if (busy) return { state: 'registering', step: { kind: 'wait' } };
      if (desired.externallyProvisioned)
        return { state: 'externally provisioned', step: { kind: 'verb', verb: 'adopt' } };
      if ((!inspected && !desired.inspectDisabled) || desired.reinspect)
        return { state: 'inspecting', step: { kind: 'verb', verb: 'inspect' } };
      if (desired.prepareProblem) return preparationProblem(desired.prepareProblem);
      if (desired.prepare) return { state: 'preparing', step: { kind: 'prepare' } };
      if (desired.hasImage)
        return { state: 'provisioning', step: { kind: 'verb', verb: 'provide' } };
      return { state: 'available', step: powerStep(desired, node) };
    case 'inspecting':
    case 'inspect wait':
      return { state: 'inspecting', step: { kind: 'wait' } };
    case 'inspect failed':
      return {
        state: 'inspecting',
        error: { type: 'inspection error', message: lastError(node) },
        step: { kind: 'retry-later', verb: 'inspect' },
      };
    case 'cleaning':
    case 'clean wait':
    case 'clean hold':
      // A manual clean is aimed at manageable: the preparation's.
      if (node.targetProvisionState === 'manageable')
        return { state: 'preparing', step: { kind: 'wait' } };
      return {
        state: desired.hasImage ? 'provisioning' : 'deprovisioning',
        step: { kind: 'wait' },
      };
    case 'clean failed':
      if (node.targetProvisionState === 'manageable')
        return {
          state: 'preparing',
          error: { type: 'preparation error', message: lastError(node) },
          step: { kind: 'retry-later', verb: 'manage' },
        };
      return {
        state: desired.hasImage ? 'provisioning' : 'deprovisioning',
        error: {
          type: desired.hasImage ? 'provisioning error' : 'preparation error',
          message: lastError(node),
        },
        step: { kind: 'retry-later', verb: 'manage' },
      };
    case 'available':
      if (busy) return { state: 'available', step: { kind: 'wait' } };
      if (desired.externallyProvisioned || desired.reinspect)
        return { state: 'available', step: { kind: 'verb', verb: 'manage' } };
      if (desired.hasImage) return { state: 'provisioning', step: { kind: 'deploy' } };
      // Preparing runs a manual clean, which starts from manageable.
      if (desired.prepareProblem) return preparationProblem(desired.prepareProblem);
      if (desired.prepare) return { state: 'preparing', step: { kind: 'verb', verb: 'manage' } };
      return { state: 'available', step: powerStep(desired, node) };
    case 'deploying':
    case 'wait call-back':
    case 'deploy hold':
      return { state: 'provisioning', step: { kind: 'wait' } };
    case 'deploy failed':
      return {
        state: 'provisioning',
        error: { type: 'provisioning error', message: lastError(node) },
        step: desired.hasImage
          ? { kind: 'retry-later', verb: 'active' }
          : { kind: 'verb', verb: 'deleted' },
      };
    case 'active':
      if (busy) return { state: 'provisioned', step: { kind: 'wait' } };
      if (desired.externallyProvisioned)
        return { state: 'externally provisioned', step: powerStep(desired, node) };
      if (!desired.hasImage)
        return { state: 'deprovisioning', step: { kind: 'verb', verb: 'deleted' } };
      // Firmware changes are serviced when the host is off and should be on (after a reboot
      // annotation powered it off, or online set back to true), as baremetal-operator does.
      if (
        desired.service &&
        desired.online &&
        node.powerState === 'power off' &&
        !node.targetPowerState &&
        !node.maintenance
      )
        return { state: 'provisioned', operational: 'servicing', step: { kind: 'service' } };
      return { state: 'provisioned', step: powerStep(desired, node) };
    case 'servicing':
    case 'service wait':
    case 'service hold':
      return { state: 'provisioned', operational: 'servicing', step: { kind: 'wait' } };
    case 'service failed':
      // Retried while the change is still wanted; aborted (the instance booted again) otherwise.
      return {
        state: 'provisioned',
        error: { type: 'servicing error', message: lastError(node) },
        step: desired.service
          ? { kind: 'retry-later', verb: 'service' }
          : { kind: 'verb', verb: 'abort' },
      };
    case 'deleting':
      return { state: 'deprovisioning', step: { kind: 'wait' } };
    case 'adopting':
      return { state: 'externally provisioned', step: { kind: 'wait' } };
    case 'adopt failed':
      return {
        state: 'externally provisioned',
        error: { type: 'provisioned registration error', message: lastError(node) },
        step: { kind: 'retry-later', verb: 'adopt' },
      };
    case 'error':
      return {
        state: 'deprovisioning',
        error: { type: 'provisioning error', message: lastError(node) },
        step: { kind: 'retry-later', verb: 'deleted' },
      };
    default:
      // rescue states: Metal3 has no name for them; the host is left as it is.
      return { state: 'unmanaged', step: { kind: 'wait' } };
  }
}

/** A host whose RAID or firmware configuration cannot be applied: it waits for a new spec. */
const preparationProblem = (message: string): Decision => ({
  state: 'preparing',
  error: { type: 'preparation error', message },
  step: { kind: 'wait' },
});

/** A host being deleted: deprovision (clean) a provisioned server, power off, forget the node. */
function decideDelete(desired: Desired, node: NodeRow): Decision {
  const ps = node.provisionState;
  const busy = node.targetProvisionState !== null && !ps.endsWith('failed');
  if (busy) return { state: 'deprovisioning', step: { kind: 'wait' } };
  switch (ps) {
    case 'active':
      if (desired.externallyProvisioned) break;
      return { state: 'deprovisioning', step: { kind: 'verb', verb: 'deleted' } };
    case 'deploy failed':
    case 'service failed':
    case 'error':
      return { state: 'deprovisioning', step: { kind: 'verb', verb: 'deleted' } };
    case 'available':
    case 'inspect failed':
    case 'clean failed':
      if (node.targetProvisionState === 'manageable')
        return {
          state: 'preparing',
          error: { type: 'preparation error', message: lastError(node) },
          step: { kind: 'retry-later', verb: 'manage' },
        };
      return { state: 'deleting', step: { kind: 'verb', verb: 'manage' } };
    default:
      break;
  }
  if (!RESTING.includes(ps) && ps !== 'enroll' && ps !== 'adopt failed' && ps !== 'active')
    return { state: 'deprovisioning', step: { kind: 'wait' } };
  if (node.powerState === 'power on' && !node.targetPowerState && !desired.externallyProvisioned)
    return { state: 'powering off before delete', step: { kind: 'power', target: 'power off' } };
  if (node.targetPowerState) return { state: 'powering off before delete', step: { kind: 'wait' } };
  return { state: 'deleting', step: { kind: 'delete-node' } };
}
