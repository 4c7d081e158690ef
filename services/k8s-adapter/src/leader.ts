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
  /**
   * How long the leader keeps acting without a successful renewal (client-go's RenewDeadline);
   * shorter than the lease, so it has stopped before another replica may take the lease over.
   * Default: two thirds of the lease duration (client-go's 10 s of 15 s).
   */
  renewDeadlineMs?: number;
  /** How often the leader renews, and a follower tries to acquire. */
  retryPeriodMs: number;
  logger: Logger;
  onStartedLeading(): void;
  /**
   * The lease was lost (another holder, or no renewal within the renew deadline, e.g. while the
   * API server is down). The election goes on: onStartedLeading is called again when this replica
   * takes the lease back.
   */
  onStoppedLeading(): void;
}

/** The renew deadline client-go would pick for this lease: two thirds of it, at least 1 s less. */
export const defaultRenewDeadlineMs = (leaseDurationS: number): number =>
  Math.max(
    500,
    Math.min(Math.round((leaseDurationS * 1000 * 2) / 3), leaseDurationS * 1000 - 1000),
  );

class Timeout extends Error {}

/** Rejects when `promise` has not settled within `ms` (a hung request must not stop the clock). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * client-go's leader election on a coordination.k8s.io Lease (client-node has none): take the
 * lease when it is free or expired, renew it every retry period, optimistic concurrency on the
 * Lease's resourceVersion decides between candidates. The leader stops leading when it has not
 * renewed within the renew deadline, whatever its requests are doing (a separate clock checks
 * it), and stays a candidate, so it leads again once the API server answers.
 */
export function runLeaderElection(opts: LeaderElectionOptions): {
  isLeading(): boolean;
  stop(): Promise<void>;
} {
  const api = opts.config.makeApiClient(CoordinationV1Api);
  const renewDeadlineMs = opts.renewDeadlineMs ?? defaultRenewDeadlineMs(opts.leaseDurationS);
  const lease = `${opts.namespace}/${opts.name}`;
  let leading = false;
  /**
   * The renewTime of the last successful renewal: this replica acts until renewDeadline after it,
   * so always before the lease (renewTime + its duration) can expire for the others.
   */
  let lastRenew = 0;
  /** Failed lease updates in a row: the first is a warning, the rest wait for the recovery. */
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  /** 'held': this replica holds the lease now; 'other': another replica holds it. */
  const acquireOrRenew = async (now: V1MicroTime): Promise<'held' | 'other'> => {
    let current: V1Lease | undefined;
    try {
      current = await api.readNamespacedLease({ name: opts.name, namespace: opts.namespace });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    const spec = {
      holderIdentity: opts.identity,
      leaseDurationSeconds: opts.leaseDurationS,
      renewTime: now,
    };
    if (!current) {
      await api.createNamespacedLease({
        namespace: opts.namespace,
        body: {
          metadata: { name: opts.name, namespace: opts.namespace },
          spec: { ...spec, acquireTime: now, leaseTransitions: 0 },
        },
      });
      return 'held';
    }
    const holder = current.spec?.holderIdentity;
    const renewed = current.spec?.renewTime ? new Date(current.spec.renewTime).getTime() : 0;
    const duration = (current.spec?.leaseDurationSeconds ?? opts.leaseDurationS) * 1000;
    const expired = renewed + duration < now.getTime();
    if (holder && holder !== opts.identity && !expired) return 'other';
    const taking = holder !== opts.identity;
    await api.replaceNamespacedLease({
      name: opts.name,
      namespace: opts.namespace,
      body: {
        ...current,
        spec: {
          ...current.spec,
          ...spec,
          acquireTime: new V1MicroTime(current.spec?.acquireTime ?? now),
          ...(taking
            ? { acquireTime: now, leaseTransitions: (current.spec?.leaseTransitions ?? 0) + 1 }
            : {}),
        },
      },
    });
    return 'held';
  };

  const startLeading = () => {
    leading = true;
    opts.logger.info({ lease, identity: opts.identity }, 'became the leader');
    opts.onStartedLeading();
  };
  const stopLeading = (why: string) => {
    leading = false;
    opts.logger.warn({ lease, why }, 'lost the leader lease; stopped acting, still a candidate');
    opts.onStoppedLeading();
  };

  // The deadline is watched apart from the renewals: a renewal stuck on a silent API server
  // must not keep this replica acting past it.
  const deadline = setInterval(
    () => {
      if (leading && !stopped && Date.now() - lastRenew > renewDeadlineMs)
        stopLeading(`no renewal for ${renewDeadlineMs} ms`);
    },
    Math.min(opts.retryPeriodMs, 1_000),
  );
  deadline.unref();

  const tick = async () => {
    if (stopped) return;
    // MicroTime: the API server wants microseconds, which a plain Date does not print.
    const now = new V1MicroTime();
    let outcome: 'held' | 'other' | 'failed' = 'failed';
    try {
      outcome = await within(acquireOrRenew(now), renewDeadlineMs);
    } catch (error) {
      // A 409 is another candidate winning the same round; anything else is a failed renewal,
      // which the deadline judges. An API server that is away fails every retry period: one
      // warning, then one line when it answers again.
      if (statusOf(error) !== 409 && failures++ === 0)
        opts.logger.warn(
          { err: String(error), retryPeriodMs: opts.retryPeriodMs },
          'leader election: lease update failed; retrying',
        );
    }
    if (stopped) return;
    if (outcome !== 'failed' && failures > 0) {
      opts.logger.info({ failures }, 'leader election: the lease answers again');
      failures = 0;
    }
    if (outcome === 'held') {
      lastRenew = now.getTime();
      // A term starts only on a prompt answer, never one that is about to end (an API server
      // that is still starting answers slowly): the next renewal tries again.
      if (!leading && Date.now() - lastRenew < renewDeadlineMs / 2) startLeading();
    } else if (leading && outcome === 'other') {
      stopLeading('another replica holds the lease');
    } else if (leading && Date.now() - lastRenew > renewDeadlineMs) {
      stopLeading(`no renewal for ${renewDeadlineMs} ms`);
    }
    timer = setTimeout(() => void tick(), opts.retryPeriodMs);
  };
  void tick();
  return {
    isLeading: () => leading,
    async stop() {
      stopped = true;
      clearInterval(deadline);
      if (timer) clearTimeout(timer);
      if (!leading) return;
      leading = false;
      // Give the lease up, so that another replica takes over at once (client-go's ReleaseOnCancel).
      try {
        const current = await within(
          api.readNamespacedLease({ name: opts.name, namespace: opts.namespace }),
          5_000,
        );
        if (current.spec?.holderIdentity === opts.identity)
          await within(
            api.replaceNamespacedLease({
              name: opts.name,
              namespace: opts.namespace,
              body: {
                ...current,
                spec: { ...current.spec, holderIdentity: undefined, renewTime: undefined },
              },
            }),
            5_000,
          );
      } catch {
        // The lease expires by itself.
      }
    },
  };
}
