import type {
  BareMetalHost,
  BareMetalHostStatus,
  HardwareDetails,
  OperationalStatus,
} from '@ingot/metal3';
import type { NodeRow } from '@ingot/store';
import type { Decision } from './decide.js';
import { hostRecordOf } from './decide.js';
import type { PreparedRecord } from './preparation.js';

/** Keys sorted, undefined dropped: two statuses with the same content compare equal. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/** The status a host shows for a node and a decision; lastUpdated is set by the writer. */
export function statusFor(
  host: BareMetalHost,
  node: NodeRow | undefined,
  decision: Pick<Decision, 'state' | 'error' | 'operational'>,
  extras: {
    hardware?: HardwareDetails;
    detached?: boolean;
    credentialsVersion?: string;
    /** status.provisioning.raid/firmware from now on (kept from the status when undefined). */
    prepared?: PreparedRecord;
  },
): BareMetalHostStatus {
  const previous = host.status;
  const spec = host.spec!;
  const error = decision.error;
  const sameError =
    error && previous?.errorMessage === error.message && previous.errorType === error.type;
  const operationalStatus: OperationalStatus = extras.detached
    ? 'detached'
    : error
      ? 'error'
      : (decision.operational ?? 'OK');
  const prepared = extras.prepared ?? {
    raid: previous?.provisioning?.raid,
    firmware: previous?.provisioning?.firmware,
  };
  const provisioned = ['provisioning', 'provisioned', 'externally provisioned'].includes(
    decision.state,
  );
  const credentialsRef = spec.bmc?.credentialsName
    ? { name: spec.bmc.credentialsName, namespace: host.metadata!.namespace }
    : undefined;
  const record = node ? hostRecordOf(node) : {};
  const registered = node && !['enroll', 'verifying'].includes(node.provisionState);
  return {
    operationalStatus,
    errorType: error?.type,
    errorMessage: error?.message ?? '',
    errorCount: error
      ? sameError
        ? (previous?.errorCount ?? 1)
        : (previous?.errorCount ?? 0) + 1
      : 0,
    provisioningFailCount: previous?.provisioningFailCount ?? 0,
    lastUpdated: previous?.lastUpdated,
    hardware: extras.hardware ?? previous?.hardware,
    provisioning: {
      state: decision.state,
      ID: node?.uuid ?? '',
      ...(provisioned && spec.image ? { image: spec.image } : {}),
      ...(spec.rootDeviceHints ? { rootDeviceHints: spec.rootDeviceHints } : {}),
      ...(spec.bootMode ? { bootMode: spec.bootMode } : {}),
      ...(prepared.raid ? { raid: prepared.raid } : {}),
      ...(prepared.firmware ? { firmware: prepared.firmware } : {}),
    },
    ...(credentialsRef && record.registeredVersion
      ? {
          triedCredentials: {
            credentials: credentialsRef,
            credentialsVersion: record.registeredVersion,
          },
        }
      : {}),
    ...(credentialsRef && registered && record.registeredVersion
      ? {
          goodCredentials: {
            credentials: credentialsRef,
            credentialsVersion: record.registeredVersion,
          },
        }
      : previous?.goodCredentials
        ? { goodCredentials: previous.goodCredentials }
        : {}),
    poweredOn: node?.powerState === 'power on',
    ...(previous?.operationHistory ? { operationHistory: previous.operationHistory } : {}),
    ...(previous?.conditions ? { conditions: previous.conditions } : {}),
  };
}

/** Whether two statuses differ in anything but lastUpdated. */
export function statusChanged(
  before: BareMetalHostStatus | undefined,
  after: BareMetalHostStatus,
): boolean {
  if (!before) return true;
  return (
    canonical({ ...before, lastUpdated: undefined }) !==
    canonical({ ...after, lastUpdated: undefined })
  );
}

/** Kubernetes Event reason of a move into a provisioning state (baremetal-operator's names). */
export const TRANSITION_REASONS: Partial<Record<string, string>> = {
  registering: 'Registering',
  inspecting: 'InspectionStarted',
  available: 'Available',
  provisioning: 'ProvisioningStarted',
  provisioned: 'ProvisioningComplete',
  'externally provisioned': 'ExternallyProvisioned',
  deprovisioning: 'DeprovisioningStarted',
  'powering off before delete': 'PoweringOffBeforeDelete',
  deleting: 'Deleting',
};

/** The Event a transition deserves: reason and message, or undefined for none. */
export function transitionEvent(
  from: string | undefined,
  to: string,
): { reason: string; message: string } | undefined {
  if (from === to) return undefined;
  const special: Record<string, string> = {
    'registering>inspecting': 'Registered',
    'registering>available': 'Registered',
    'inspecting>available': 'InspectionComplete',
    'inspecting>preparing': 'InspectionComplete',
    'inspecting>provisioning': 'InspectionComplete',
    'deprovisioning>available': 'DeprovisioningComplete',
  };
  const reason = special[`${from}>${to}`] ?? TRANSITION_REASONS[to];
  if (!reason) return undefined;
  return { reason, message: `Host moved from '${from || 'none'}' to '${to}'` };
}
