import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { busOptionsFromEnv, type BusOptions } from '@ingot/bus';
import { boolFromEnv, intFromEnv } from '@ingot/service';
import { databaseUrlFromEnv } from '@ingot/store';
import { defaultRenewDeadlineMs } from './leader.js';

export interface AdapterConfig {
  databaseUrl: string;
  bus: BusOptions;
  /** KUBECONFIG's file, or undefined: in-cluster service account, then ~/.kube/config. */
  kubeconfig: string | undefined;
  /** WATCH_NAMESPACE: the one namespace whose hosts are served; empty: all namespaces. */
  watchNamespace: string;
  /** This replica's name in the leader Lease (POD_NAME in a cluster). */
  identity: string;
  leaseName: string;
  /** Namespace of the Lease: INGOT_K8S_LEASE_NAMESPACE, else the pod's own (POD_NAMESPACE, as
   * controller-runtime; deploy/'s Role allows Leases there), else WATCH_NAMESPACE. */
  leaseNamespace: string;
  leaseDurationS: number;
  /** How long the leader acts without renewing the Lease (client-go's RenewDeadline): less than
   * the lease duration; default two thirds of it. */
  renewDeadlineMs: number;
  leaseRetryMs: number;
  /** Every host is reconciled again this often, even without a change (controller-runtime's SyncPeriod). */
  resyncMs: number;
  /** First retry delay of a failed operation (doubles per error, at most 10 minutes). */
  retryBaseMs: number;
  concurrency: number;
  /** INGOT_K8S_LOOPBACK_BMC_ONLY: refuse any BMC outside 127.0.0.0/8 (tests, the lab). */
  loopbackBmcOnly: boolean;
  opsPort: number;
  opsHost: string;
}

export function adapterConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AdapterConfig {
  const watchNamespace = env.WATCH_NAMESPACE ?? '';
  const leaseNamespace =
    env.INGOT_K8S_LEASE_NAMESPACE || env.POD_NAMESPACE || watchNamespace || 'default';
  const leaseDurationS = intFromEnv(env, 'INGOT_K8S_LEASE_DURATION_S', 15, 2);
  const renewDeadlineMs = intFromEnv(
    env,
    'INGOT_K8S_RENEW_DEADLINE_MS',
    defaultRenewDeadlineMs(leaseDurationS),
    100,
  );
  if (renewDeadlineMs >= leaseDurationS * 1000)
    throw new Error(
      `INGOT_K8S_RENEW_DEADLINE_MS (${renewDeadlineMs}) must be less than the lease duration (${leaseDurationS} s)`,
    );
  return {
    databaseUrl: databaseUrlFromEnv(env),
    bus: { ...busOptionsFromEnv(env), name: 'ingot-k8s-adapter' },
    kubeconfig: env.KUBECONFIG || undefined,
    watchNamespace,
    identity: env.POD_NAME || `k8s-adapter-${hostname()}-${randomBytes(3).toString('hex')}`,
    leaseName: env.INGOT_K8S_LEASE_NAME || 'ingot-k8s-adapter',
    leaseNamespace,
    leaseDurationS,
    renewDeadlineMs,
    leaseRetryMs: intFromEnv(env, 'INGOT_K8S_LEASE_RETRY_MS', 2_000, 100),
    resyncMs: intFromEnv(env, 'INGOT_K8S_RESYNC_MS', 10 * 60_000, 1_000),
    retryBaseMs: intFromEnv(env, 'INGOT_K8S_RETRY_BASE_MS', 10_000, 100),
    concurrency: intFromEnv(env, 'INGOT_CONCURRENCY', 8, 1),
    loopbackBmcOnly: boolFromEnv(env, 'INGOT_K8S_LOOPBACK_BMC_ONLY', false),
    opsPort: intFromEnv(env, 'INGOT_OPS_PORT', 9106),
    opsHost: env.INGOT_OPS_HOST ?? '127.0.0.1',
  };
}
