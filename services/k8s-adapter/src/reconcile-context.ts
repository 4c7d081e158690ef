import type { BareMetalHost, ErrorType, ProvisioningState } from '@ingot/metal3';
import type { CommandDeps } from '@ingot/node-commands';
import type { Logger } from '@ingot/telemetry';
import type { Kube } from './kube.js';

// What a reconcile works with: its dependencies, its outcome, and the problems it reports.

export interface ReconcilerDeps {
  commands: CommandDeps;
  kube: Kube;
  logger: Logger;
  /** INGOT_K8S_LOOPBACK_BMC_ONLY: refuse BMCs outside 127.0.0.0/8. */
  loopbackBmcOnly: boolean;
  /** First delay before a failed operation is retried; doubles with each error. */
  retryBaseMs: number;
  /** Records a Kubernetes Event on the host. */
  recordEvent(
    host: BareMetalHost,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void>;
}

/** What a reconcile asks of the queue: run again after this long (undefined: on the next change). */
export interface Outcome {
  requeueAfterMs?: number;
}

/** A quick retry: a node busy with a conductor, or an object that moved under us. */
export const SOON_MS = 2_000;
/** While an operation runs, look again even if no event comes (a lost event must not stall us). */
export const IN_PROGRESS_MS = 30_000;
export const MAX_RETRY_MS = 10 * 60_000;

/** A reason the host cannot be served as it is: shown in status with its Metal3 error type. */
export class HostProblem extends Error {
  constructor(
    readonly type: ErrorType,
    readonly state: ProvisioningState,
    message: string,
  ) {
    super(message);
  }
}
