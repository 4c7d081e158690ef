import {
  CoordinationV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
} from '@kubernetes/client-node';
import type { Logger } from '@ingot/telemetry';
import { statusOf } from './kube.js';

export interface LeaderElectionOptions {
  config: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationS: number;
  /** How often the leader renews, and a follower tries to acquire. */
  retryPeriodMs: number;
  logger: Logger;
  onStartedLeading(): void;
  /** The lease was lost (another holder, or renewals failed past the lease duration). */
  onStoppedLeading(): void;
}

/**
 * client-go's leader election on a coordination.k8s.io Lease (client-node has none): take the
 * lease when it is free or expired, renew it every retry period, optimistic concurrency on the
 * Lease's resourceVersion decides between candidates.
 */
export function runLeaderElection(opts: LeaderElectionOptions): { stop(): Promise<void> } {
  const api = opts.config.makeApiClient(CoordinationV1Api);
  let leading = false;
  let lastRenew = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const acquireOrRenew = async (): Promise<boolean> => {
    // MicroTime: the API server wants microseconds, which a plain Date does not print.
    const now = new V1MicroTime();
    let lease: V1Lease | undefined;
    try {
      lease = await api.readNamespacedLease({ name: opts.name, namespace: opts.namespace });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    const spec = {
      holderIdentity: opts.identity,
      leaseDurationSeconds: opts.leaseDurationS,
      renewTime: now,
    };
    if (!lease) {
      await api.createNamespacedLease({
        namespace: opts.namespace,
        body: {
          metadata: { name: opts.name, namespace: opts.namespace },
          spec: { ...spec, acquireTime: now, leaseTransitions: 0 },
        },
      });
      return true;
    }
    const holder = lease.spec?.holderIdentity;
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
    const duration = (lease.spec?.leaseDurationSeconds ?? opts.leaseDurationS) * 1000;
    const expired = renewed + duration < now.getTime();
    if (holder && holder !== opts.identity && !expired) return false;
    const taking = holder !== opts.identity;
    await api.replaceNamespacedLease({
      name: opts.name,
      namespace: opts.namespace,
      body: {
        ...lease,
        spec: {
          ...lease.spec,
          ...spec,
          acquireTime: new V1MicroTime(lease.spec?.acquireTime ?? now),
          ...(taking
            ? { acquireTime: now, leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 }
            : {}),
        },
      },
    });
    return true;
  };

  const tick = async () => {
    if (stopped) return;
    let held = false;
    try {
      held = await acquireOrRenew();
    } catch (error) {
      // A 409 is another candidate winning the same round; anything else is a failed renewal.
      if (statusOf(error) !== 409)
        opts.logger.warn({ err: String(error) }, 'leader election: lease update failed');
      held = leading && Date.now() - lastRenew < opts.leaseDurationS * 1000;
    }
    if (held) lastRenew = Date.now();
    if (held && !leading) {
      leading = true;
      opts.logger.info(
        { lease: `${opts.namespace}/${opts.name}`, identity: opts.identity },
        'became the leader',
      );
      opts.onStartedLeading();
    } else if (!held && leading) {
      leading = false;
      opts.logger.warn({ lease: `${opts.namespace}/${opts.name}` }, 'lost the leader lease');
      opts.onStoppedLeading();
    }
    if (!stopped) timer = setTimeout(() => void tick(), opts.retryPeriodMs);
  };
  void tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (!leading) return;
      // Give the lease up, so that another replica takes over at once (client-go's ReleaseOnCancel).
      try {
        const lease = await api.readNamespacedLease({ name: opts.name, namespace: opts.namespace });
        if (lease.spec?.holderIdentity === opts.identity)
          await api.replaceNamespacedLease({
            name: opts.name,
            namespace: opts.namespace,
            body: {
              ...lease,
              spec: { ...lease.spec, holderIdentity: undefined, renewTime: undefined },
            },
          });
      } catch {
        // The lease expires by itself.
      }
    },
  };
}
