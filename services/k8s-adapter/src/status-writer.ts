import type { BareMetalHost } from '@ingot/metal3';
import type { NodeRow } from '@ingot/store';
import type { Decision } from './decide.js';
import { statusChanged, statusFor, transitionEvent } from './host-status.js';
import { statusOf } from './kube.js';
import type { ReconcilerDeps } from './reconcile-context.js';

/** Writes the derived status when it differs, through the status subresource; 409 retries. */
export async function writeStatus(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow | undefined,
  decision: Pick<Decision, 'state' | 'error' | 'operational'>,
  extras: Parameters<typeof statusFor>[3] = {},
): Promise<void> {
  let current = host;
  for (let attempt = 1; ; attempt++) {
    const status = statusFor(current, node, decision, extras);
    if (!statusChanged(current.status, status)) return;
    status.lastUpdated = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    try {
      await deps.kube.replaceHostStatus({ ...current, status });
      const event = transitionEvent(current.status?.provisioning?.state, status.provisioning.state);
      if (event) await deps.recordEvent(current, 'Normal', event.reason, event.message);
      if (status.errorMessage && status.errorMessage !== current.status?.errorMessage)
        await deps.recordEvent(
          current,
          'Warning',
          errorReason(status.errorType),
          status.errorMessage,
        );
      return;
    } catch (error) {
      if (statusOf(error) !== 409 || attempt >= 5) throw error;
      const fresh = await deps.kube.getHost({
        namespace: host.metadata!.namespace!,
        name: host.metadata!.name!,
      });
      if (!fresh) return;
      current = fresh;
    }
  }
}

const errorReason = (type: string | undefined) =>
  ({
    'registration error': 'RegistrationError',
    'inspection error': 'InspectionError',
    'provisioning error': 'ProvisioningError',
    'preparation error': 'PreparationError',
    'power management error': 'PowerManagementError',
    'provisioned registration error': 'ProvisionedRegistrationError',
    'servicing error': 'ServicingError',
  })[type ?? ''] ?? 'Error';
