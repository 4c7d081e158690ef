import type { CoreV1Api } from '@kubernetes/client-node';
import { KubeConfig, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import type { Subscription } from '@nats-io/transport-node';
import { SpanKind } from '@opentelemetry/api';
import { eq } from 'drizzle-orm';
import { incomingContext } from '@ingot/bus';
import {
  BAREMETALHOST_PLURAL,
  HOSTFIRMWARECOMPONENTS_PLURAL,
  HOSTFIRMWARESETTINGS_PLURAL,
  METAL3_GROUP,
  METAL3_VERSION,
  type BareMetalHost,
} from '@ingot/metal3';
import { openInfrastructure } from '@ingot/service';
import { nodes, type SecretBox } from '@ingot/store';
import { counter, gauge, withSpan, type Logger } from '@ingot/telemetry';
import type { AdapterConfig } from './config.js';
import { keyOfNodeName, keyString, parseKey, type HostKey } from './host-key.js';
import { watchResource, type Watched } from './informer.js';
import { Kube } from './kube.js';
import { runLeaderElection } from './leader.js';
import { reconcileHost, type ReconcilerDeps } from './reconciler.js';
import { WorkQueue } from './work-queue.js';
import type { Context } from '@opentelemetry/api';

const reconciles = counter('ingot_k8s_reconciles_total', 'BareMetalHost reconciles', ['result']);
const queueDepth = gauge('ingot_k8s_queue_depth', 'BareMetalHosts waiting for a reconcile');
const leaderGauge = gauge('ingot_k8s_leader', '1 while this replica holds the leader lease');

export interface Adapter {
  isLeader(): boolean;
  stop(): Promise<void>;
}

function loadKubeConfig(path: string | undefined): KubeConfig {
  const config = new KubeConfig();
  if (path) config.loadFromFile(path);
  else config.loadFromDefault();
  return config;
}

/** A host as the watch holds it (client-node's metadata type). */
type WatchedHost = KubernetesObject & Pick<BareMetalHost, 'spec'>;

/** The secrets a host reads: BMC credentials, user data, network data, meta data. */
function secretNamesOf(host: WatchedHost): string[] {
  const spec = host.spec;
  return [
    spec?.bmc?.credentialsName,
    spec?.userData?.name,
    spec?.networkData?.name,
    spec?.metaData?.name,
  ].filter((n): n is string => Boolean(n));
}

/**
 * The Kubernetes adapter: while it leads, it watches BareMetalHosts and Secrets, listens to node
 * events on the bus, and reconciles each host that changed (and every host each resync period).
 */
export async function startAdapter(
  config: AdapterConfig,
  secrets: SecretBox,
  logger: Logger,
): Promise<Adapter> {
  const kubeConfig = loadKubeConfig(config.kubeconfig);
  const kube = new Kube(kubeConfig);
  const infra = await openInfrastructure({
    name: 'ingot-k8s-adapter',
    databaseUrl: config.databaseUrl,
    bus: config.bus,
    logger,
    // The adapter's commands are outbox rows; a relay of its own publishes them.
    relay: true,
    poolSize: 5,
  });
  const db = infra.database.db;
  const deps: ReconcilerDeps = {
    commands: { db, bus: infra.bus, secrets },
    kube,
    logger,
    loopbackBmcOnly: config.loopbackBmcOnly,
    retryBaseMs: config.retryBaseMs,
    recordEvent: (host, type, reason, message) =>
      recordEvent(kube.core, host, type, reason, message, config.identity, logger),
  };
  /** The trace of the last node event per host: its reconcile (and commands) join that trace. */
  const traceOf = new Map<string, Context>();
  const ns = config.watchNamespace;

  /** What runs while this replica leads: the queue and what feeds it. */
  interface Term {
    queue: WorkQueue;
    hostsWatch?: Watched<WatchedHost>;
    /** HostFirmwareSettings and HostFirmwareComponents: a change reconciles their host. */
    firmwareWatches?: Watched<KubernetesObject>[];
    secretsWatch?: Watched<V1Secret>;
    nodeEvents?: Subscription;
    resync?: NodeJS.Timeout;
  }
  let term: Term | undefined;
  let stopping = false;

  const newQueue = () => {
    const queue: WorkQueue = new WorkQueue(
      config.concurrency,
      async (key) => {
        const parent = traceOf.get(key);
        traceOf.delete(key);
        const outcome = await withSpan(
          'k8s-adapter reconcile',
          {
            kind: SpanKind.INTERNAL,
            attributes: { 'metal3.host': key },
            ...(parent ? { parent } : {}),
          },
          () => reconcileHost(deps, parseKey(key)),
        );
        reconciles.inc({ result: 'ok' });
        queueDepth.set(queue.depth);
        return outcome.requeueAfterMs;
      },
      (key, error) => {
        reconciles.inc({ result: 'error' });
        logger.warn(
          { host: key, err: error instanceof Error ? error.message : String(error) },
          'reconcile failed; retrying',
        );
        return 5_000;
      },
    );
    return queue;
  };

  /** Starts a leadership term: a fresh queue, a fresh list + watch of hosts and Secrets. */
  async function startActing(): Promise<void> {
    if (term || stopping || !election.isLeading()) return;
    const current: Term = { queue: newQueue() };
    term = current;
    const enqueue = (key: HostKey) => current.queue.add(keyString(key));
    const hostPath = `/apis/${METAL3_GROUP}/${METAL3_VERSION}${ns ? `/namespaces/${ns}` : ''}/${BAREMETALHOST_PLURAL}`;
    current.hostsWatch = await watchResource<WatchedHost>({
      config: kubeConfig,
      path: hostPath,
      list: async () =>
        (ns
          ? await kube.custom.listNamespacedCustomObject({
              group: METAL3_GROUP,
              version: METAL3_VERSION,
              namespace: ns,
              plural: BAREMETALHOST_PLURAL,
            })
          : await kube.custom.listClusterCustomObject({
              group: METAL3_GROUP,
              version: METAL3_VERSION,
              plural: BAREMETALHOST_PLURAL,
            })) as never,
      onChange: (host) =>
        enqueue({ namespace: host.metadata!.namespace!, name: host.metadata!.name! }),
      onError: (error, retryInMs) =>
        logger.warn({ err: String(error), retryInMs }, 'BareMetalHost watch failed; restarting'),
      onRecovered: () => logger.info('BareMetalHost watch resumed'),
    });
    // A host's HostFirmwareSettings and HostFirmwareComponents share its name: a changed spec
    // reconciles the host, which applies it (baremetal-operator's controllers watch both).
    const listOf = (plural: string) => async () =>
      (ns
        ? await kube.custom.listNamespacedCustomObject({
            group: METAL3_GROUP,
            version: METAL3_VERSION,
            namespace: ns,
            plural,
          })
        : await kube.custom.listClusterCustomObject({
            group: METAL3_GROUP,
            version: METAL3_VERSION,
            plural,
          })) as never;
    current.firmwareWatches = await Promise.all(
      [HOSTFIRMWARESETTINGS_PLURAL, HOSTFIRMWARECOMPONENTS_PLURAL].map((plural) =>
        watchResource<KubernetesObject>({
          config: kubeConfig,
          path: `/apis/${METAL3_GROUP}/${METAL3_VERSION}${ns ? `/namespaces/${ns}` : ''}/${plural}`,
          list: listOf(plural),
          onChange: (object) =>
            enqueue({ namespace: object.metadata!.namespace!, name: object.metadata!.name! }),
          onError: (error, retryInMs) =>
            logger.warn({ err: String(error), retryInMs }, `${plural} watch failed; restarting`),
          onRecovered: () => logger.info(`${plural} watch resumed`),
        }),
      ),
    );
    current.secretsWatch = await watchResource<V1Secret>({
      config: kubeConfig,
      path: ns ? `/api/v1/namespaces/${ns}/secrets` : '/api/v1/secrets',
      list: () =>
        ns
          ? kube.core.listNamespacedSecret({ namespace: ns })
          : kube.core.listSecretForAllNamespaces(),
      onChange: (secret) => {
        // A changed Secret re-reconciles the hosts that read it (new credentials re-register).
        for (const host of current.hostsWatch?.list() ?? []) {
          if (
            host.metadata?.namespace === secret.metadata?.namespace &&
            secretNamesOf(host).includes(secret.metadata?.name ?? '')
          )
            enqueue({ namespace: host.metadata!.namespace!, name: host.metadata!.name! });
        }
      },
      onError: (error, retryInMs) =>
        logger.warn({ err: String(error), retryInMs }, 'Secret watch failed; restarting'),
      onRecovered: () => logger.info('Secret watch resumed'),
    });
    // Node events (<prefix>.evt.node.<uuid>.<kind>) say a node changed: its host's status follows.
    current.nodeEvents = infra.bus.nc.subscribe(infra.bus.subjects.nodeEvents(), {
      callback: (error, msg) => {
        if (error) return;
        const uuid = msg.subject.split('.')[3];
        if (!uuid) return;
        void db
          .select({ name: nodes.name })
          .from(nodes)
          .where(eq(nodes.uuid, uuid))
          .then(([row]) => {
            const key = keyOfNodeName(row?.name ?? null);
            if (!key || (ns && key.namespace !== ns)) return;
            traceOf.set(keyString(key), incomingContext(msg.headers));
            enqueue(key);
          })
          .catch((e: unknown) =>
            logger.warn({ err: String(e) }, 'could not map a node event to its host'),
          );
      },
    });
    current.resync = setInterval(() => {
      for (const host of current.hostsWatch?.list() ?? [])
        enqueue({ namespace: host.metadata!.namespace!, name: host.metadata!.name! });
    }, config.resyncMs);
    current.resync.unref();
    leaderGauge.set(1);
  }

  /** Ends the term: nothing new is queued or started, and the running reconciles finish. */
  async function stopActing(): Promise<void> {
    const current = term;
    if (!current) return;
    leaderGauge.set(0);
    if (current.resync) clearInterval(current.resync);
    current.nodeEvents?.unsubscribe();
    current.queue.stop();
    await current.hostsWatch?.stop();
    await Promise.all((current.firmwareWatches ?? []).map((w) => w.stop()));
    await current.secretsWatch?.stop();
    await current.queue.idle();
    traceOf.clear();
    term = undefined;
  }

  // Terms start and end one after the other, in the order the election decides them.
  let transitions = Promise.resolve();
  const serially = (what: string, step: () => Promise<void>) => {
    transitions = transitions.then(step).catch((error: unknown) => {
      logger.error({ err: String(error) }, `could not ${what}; exiting`);
      process.exit(1);
    });
  };

  const election = runLeaderElection({
    config: kubeConfig,
    namespace: config.leaseNamespace,
    name: config.leaseName,
    identity: config.identity,
    leaseDurationS: config.leaseDurationS,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.leaseRetryMs,
    logger,
    onStartedLeading: () => serially('start watching BareMetalHosts', startActing),
    // client-go's controllers exit here and are restarted by their pod; this replica stops acting
    // at once (before the lease can expire for the others) and stays a candidate, so it leads
    // again by itself, e.g. once an API server that was away answers again.
    onStoppedLeading: () => serially('stop acting', stopActing),
  });

  return {
    isLeader: () => term !== undefined && election.isLeading(),
    async stop() {
      // Stop acting first, then give the lease up: the next leader never overlaps this one.
      stopping = true;
      serially('stop acting', stopActing);
      await transitions;
      await election.stop();
      await infra.close();
    },
  };
}

async function recordEvent(
  core: CoreV1Api,
  host: BareMetalHost,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  reporter: string,
  logger: Logger,
): Promise<void> {
  const meta = host.metadata!;
  const now = new Date();
  try {
    await core.createNamespacedEvent({
      namespace: meta.namespace!,
      body: {
        metadata: { generateName: `${meta.name}.`, namespace: meta.namespace },
        involvedObject: {
          apiVersion: `${METAL3_GROUP}/${METAL3_VERSION}`,
          kind: 'BareMetalHost',
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: 'ingot-k8s-adapter' },
        reportingComponent: 'ingot-k8s-adapter',
        reportingInstance: reporter,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  } catch (error) {
    // An Event is a courtesy: its failure must not fail the reconcile.
    logger.warn({ err: String(error), reason }, 'could not record a Kubernetes Event');
  }
}
