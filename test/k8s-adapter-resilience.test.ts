import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Installation,
  ServerHost,
  startFleet,
  waitFor,
  type Fleet,
  type LabServer,
} from '@ingot/lab';
import {
  installCrds,
  kubectl,
  startKubeApiServer,
  type KubeApiServer,
} from '@ingot/lab/kube-apiserver';
import { customResourceDefinitions, type BareMetalHost } from '@ingot/metal3';
import { expectDeployedDisk } from './support/deployed-disk.js';
import { ImageOrigin, makeTestImage, scratchDir, type TestImage } from './support/images.js';

// The adapter's resilience, end to end with lab servers: a kube-apiserver restart while hosts are
// mid-flight, and WATCH_NAMESPACE (one namespace, or all of them).

const GROUP = { group: 'metal3.io', version: 'v1alpha1', plural: 'baremetalhosts' };
/** The namespace of the restart test's hosts. */
const NS = 'resilience';
/** The adapters' own namespace (POD_NAMESPACE): their Lease, and deploy/'s ServiceAccount. */
const SYSTEM_NS = 'ingot';
const LEASE = 'ingot-k8s-adapter';

function bmcAddress(server: LabServer): string {
  const url = new URL(server.url);
  return `redfish-virtualmedia+${url.protocol.replace(':', '')}://${url.host}${server.systemPath}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the Kubernetes adapter survives an API server restart and serves one namespace or all', () => {
  let kube: KubeApiServer;
  let custom: CustomObjectsApi;
  let core: CoreV1Api;
  let system: Installation;
  let fleet: Fleet;
  let hosts: ServerHost[];
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    await installCrds(kube, customResourceDefinitions());
    custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
    core = kube.kubeConfig().makeApiClient(CoreV1Api);
    for (const name of [NS, SYSTEM_NS, 'tenant-a', 'tenant-b'])
      await core.createNamespace({ body: { metadata: { name } } });
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({ '/images/test.qcow2': image.qcow2Path });
    fleet = await startFleet({ count: 7, powerDelayMs: 100 });
    system = await Installation.start({ INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10', LOG_LEVEL: 'info' });
    hosts = await Promise.all(
      fleet.servers.map((server, i) =>
        // Server 0's firmware takes 2 s to boot: its deploy waits for the agent long enough for
        // the API server to go away in the middle of it.
        ServerHost.create(server, { workDir: system.workDir, bootDelayMs: i === 0 ? 2_000 : 0 }),
      ),
    );
  }, 180_000);
  afterAll(async () => {
    await Promise.all((hosts ?? []).map((h) => h.stop()));
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
    await kube?.stop();
  });

  /** Starts an adapter replica (a service named `pod`) with short timings. */
  const startAdapter = (pod: string, env: Record<string, string>) =>
    system.startService(
      'k8s-adapter',
      {
        POD_NAME: pod,
        POD_NAMESPACE: SYSTEM_NS,
        INGOT_K8S_LOOPBACK_BMC_ONLY: 'true',
        INGOT_K8S_RETRY_BASE_MS: '1000',
        INGOT_K8S_LEASE_DURATION_S: '4',
        INGOT_K8S_LEASE_RETRY_MS: '500',
        INGOT_K8S_RESYNC_MS: '2000',
        ...env,
      },
      pod,
    );

  const metricsOf = async (pod: string) =>
    (await fetch(`http://127.0.0.1:${system.service(pod).opsPort}/metrics`)).text();
  const leads = async (pod: string) => /^ingot_k8s_leader 1$/m.test(await metricsOf(pod));
  const counter = (metrics: string, line: RegExp) => Number(metrics.match(line)?.[1] ?? 0);

  const getHost = async (namespace: string, name: string) =>
    (await custom.getNamespacedCustomObject({ ...GROUP, namespace, name })) as BareMetalHost;

  async function waitForHost(
    namespace: string,
    name: string,
    what: string,
    accept: (h: BareMetalHost) => boolean,
    timeoutMs = 150_000,
  ) {
    let last: BareMetalHost | undefined;
    try {
      return await waitFor(
        `host ${namespace}/${name} ${what}`,
        async () => {
          last = await getHost(namespace, name);
          return accept(last) ? last : undefined;
        },
        timeoutMs,
        250,
      );
    } catch (error) {
      const logs = system
        .logs()
        .split('\n')
        .filter((l) => /"level":"(warn|error)"/.test(l))
        .slice(-15)
        .join('\n');
      throw new Error(
        `${(error as Error).message}\n  status: ${JSON.stringify(last?.status)}\n  warnings:\n${logs}`,
      );
    }
  }
  const inState =
    (state: string, poweredOn?: boolean) =>
    (h: BareMetalHost): boolean =>
      h.status?.provisioning?.state === state &&
      h.status.operationalStatus === 'OK' &&
      (poweredOn === undefined || h.status.poweredOn === poweredOn);

  async function createSecret(namespace: string, name: string, data: Record<string, string>) {
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name }, stringData: data },
    });
  }

  async function createHost(
    namespace: string,
    name: string,
    server: LabServer,
    credentialsName: string,
    spec: Record<string, unknown> = {},
  ) {
    await custom.createNamespacedCustomObject({
      ...GROUP,
      namespace,
      body: {
        apiVersion: 'metal3.io/v1alpha1',
        kind: 'BareMetalHost',
        metadata: { name, namespace },
        spec: {
          online: false,
          bootMACAddress: server.macs[0],
          bmc: {
            address: bmcAddress(server),
            credentialsName,
            disableCertificateVerification: true,
          },
          ...spec,
        },
      },
    });
  }

  async function updateHost(namespace: string, name: string, change: (h: BareMetalHost) => void) {
    for (;;) {
      const host = await getHost(namespace, name);
      change(host);
      try {
        await custom.replaceNamespacedCustomObject({ ...GROUP, namespace, name, body: host });
        return;
      } catch (error) {
        if ((error as { code?: number }).code !== 409) throw error;
      }
    }
  }

  const nodeOf = async (namespace: string, name: string) =>
    system.api('GET', `/v1/nodes/${namespace}~${name}`);
  const historyOf = async (namespace: string, name: string) =>
    (
      (await system.api('GET', `/v1/nodes/${namespace}~${name}/history`)).body.history as {
        event: string;
      }[]
    ).map((h) => h.event);
  const accepted = async (namespace: string, name: string, verb: string) =>
    (await historyOf(namespace, name)).filter((e) => e === `'${verb}' accepted`).length;

  it('kube-apiserver restarted while hosts provision, register and change: both replicas stop acting, one leads again, every host converges once', async () => {
    const [s0, s1, s2, s3] = fleet.servers as [LabServer, LabServer, LabServer, LabServer];
    const kubeconfig = { KUBECONFIG: kube.kubeconfigPath, WATCH_NAMESPACE: NS };
    await startAdapter('adapter-a', kubeconfig);
    await startAdapter('adapter-b', kubeconfig);
    const replicas = ['adapter-a', 'adapter-b'];
    await waitFor(
      'a replica to lead',
      async () => (await leads('adapter-a')) || leads('adapter-b'),
      20_000,
    );

    await createSecret(NS, 'bmc', { username: s0.username, password: s0.password });
    await createSecret(NS, 'user-data', { userData: '#cloud-config\nhostname: resilient\n' });
    const image0 = {
      url: `${origin.url}/images/test.qcow2`,
      checksum: image.qcow2Sha256,
      checksumType: 'sha256',
      format: 'qcow2',
    };
    const provisioned = { online: true, image: image0, userData: { name: 'user-data' } };
    await createHost(NS, 'h0', s0, 'bmc', provisioned);
    await createHost(NS, 'h1', s1, 'bmc', provisioned);

    // The API server goes away while h0's deploy waits for its agent (the adapter has asked for
    // 'active' and must never ask again), h1 provisions, and h2 has only just been created.
    await waitFor(
      "h0's node to wait for its deploy's agent",
      async () => (await nodeOf(NS, 'h0')).body?.provision_state === 'wait call-back',
      180_000,
      100,
    );
    await createHost(NS, 'h2', s2, 'bmc');
    // A change right before the API server stops: h1 ends powered off.
    await updateHost(NS, 'h1', (h) => {
      h.spec!.online = false;
    });
    const firstLeader = (await leads('adapter-a')) ? 'adapter-a' : 'adapter-b';
    const before = await metricsOf(firstLeader);
    // A graceful stop: new connections are refused at once, open watches end when it exits.
    const downAt = Date.now();
    const stopped = kube.stopApiServer();

    // Past the renew deadline (2/3 of the 4 s lease) neither replica acts; both stay up as
    // candidates.
    await waitFor(
      'both replicas to stop leading',
      async () => !(await leads('adapter-a')) && !(await leads('adapter-b')),
      10_000,
      100,
    );
    await stopped;
    // Down for twice the lease, and many lease retries (every 500 ms).
    await sleep(Math.max(0, 8_000 - (Date.now() - downAt)));
    for (const pod of replicas) expect(system.service(pod).child.exitCode).toBeNull();
    // Ingot went on without the API server: h0's deploy finished or goes on.
    expect(['wait call-back', 'deploying', 'active']).toContain(
      (await nodeOf(NS, 'h0')).body.provision_state,
    );
    await kube.startApiServer();
    const downMs = Date.now() - downAt;
    expect(downMs).toBeGreaterThan(8_000);

    // Changes right after it returns: a new host, and h2 asked to be on.
    await createHost(NS, 'h3', s3, 'bmc');
    await updateHost(NS, 'h2', (h) => {
      h.spec!.online = true;
    });

    await waitFor(
      'exactly one replica to lead again',
      async () =>
        (await Promise.all(replicas.map(leads))).filter(Boolean).length === 1 ? true : undefined,
      30_000,
      200,
    );
    const h0 = await waitForHost(
      NS,
      'h0',
      'to be provisioned and on',
      inState('provisioned', true),
    );
    const h1 = await waitForHost(
      NS,
      'h1',
      'to be provisioned and off',
      inState('provisioned', false),
    );
    const h2 = await waitForHost(NS, 'h2', 'to be available and on', inState('available', true));
    const h3 = await waitForHost(NS, 'h3', 'to be available and off', inState('available', false));

    // Status is right: each host shows its own node, no error, the image it runs.
    for (const [name, host] of Object.entries({ h0, h1, h2, h3 })) {
      const node = await nodeOf(NS, name);
      expect(node.status, name).toBe(200);
      expect(host.status?.provisioning.ID, name).toBe(node.body.uuid);
      expect(host.status?.errorMessage, name).toBe('');
      expect(host.status?.errorType ?? '', name).toBe('');
      expect(host.metadata?.finalizers, name).toContain('baremetalhost.metal3.io');
    }
    expect(h0.status?.provisioning.image?.url).toBe(image0.url);
    expect(h1.status?.provisioning.image?.url).toBe(image0.url);
    expect(s0.bmc.state.power).toBe('On');
    expect(s1.bmc.state.power).toBe('Off');
    expect(s2.bmc.state.power).toBe('On');
    expect(s3.bmc.state.power).toBe('Off');
    await expectDeployedDisk(hosts[0]!.disks['/dev/sda']!, image, 'resilient');
    await expectDeployedDisk(hosts[1]!.disks['/dev/sda']!, image, 'resilient');

    // No double deploy, no second registration or inspection, and no lost or extra node.
    for (const name of ['h0', 'h1']) expect(await accepted(NS, name, 'active'), name).toBe(1);
    for (const name of ['h2', 'h3']) expect(await accepted(NS, name, 'active'), name).toBe(0);
    for (const name of ['h0', 'h1', 'h2', 'h3']) {
      expect(await accepted(NS, name, 'manage'), name).toBe(1);
      expect(await accepted(NS, name, 'inspect'), name).toBe(1);
    }
    const all = await system.api('GET', '/v1/nodes');
    expect((all.body.nodes as { name: string }[]).map((n) => n.name).sort()).toEqual(
      ['h0', 'h1', 'h2', 'h3'].map((n) => `${NS}~${n}`),
    );

    // One leader, named in the Lease; the other replica is a follower, not a dead process.
    const leader = (await leads('adapter-a')) ? 'adapter-a' : 'adapter-b';
    const lease = await kube
      .kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: SYSTEM_NS, name: LEASE });
    expect(lease.spec?.holderIdentity).toBe(leader);
    for (const pod of replicas) expect(system.service(pod).child.exitCode).toBeNull();
    // While the API server was away the watches backed off instead of spinning.
    const watchFailures = system
      .logs()
      .split('\n')
      .filter((l) => l.includes('watch failed; restarting')).length;
    expect(watchFailures).toBeLessThan(20);
    expect(counter(before, /^ingot_k8s_reconciles_total\{result="ok"\} (\d+)/m)).toBeGreaterThan(0);

    // No hot loop after: over two resyncs a quiet cluster gets no write and no reconcile error.
    const versions = async () =>
      Object.fromEntries(
        await Promise.all(
          ['h0', 'h1', 'h2', 'h3'].map(
            async (n) => [n, (await getHost(NS, n)).metadata?.resourceVersion] as const,
          ),
        ),
      );
    const errors = async () =>
      counter(await metricsOf(leader), /^ingot_k8s_reconciles_total\{result="error"\} (\d+)/m);
    const quiet = await versions();
    const errorsBefore = await errors();
    const eventsBefore = (await core.listNamespacedEvent({ namespace: NS })).items.length;
    await sleep(5_000);
    expect(await versions()).toEqual(quiet);
    expect(await errors()).toBe(errorsBefore);
    expect((await core.listNamespacedEvent({ namespace: NS })).items.length).toBe(eventsBefore);
    expect(await leads(leader)).toBe(true);

    // These replicas end here (SIGTERM: each gives the Lease up) for the namespace tests.
    for (const pod of replicas) await system.kill(pod, 'SIGTERM');
  }, 480_000);

  /**
   * A kubeconfig for a ServiceAccount (a TokenRequest's token), so that an adapter runs with the
   * rights RBAC gives it rather than as an administrator.
   */
  async function serviceAccountKubeconfig(name: string): Promise<string> {
    const request = await core.createNamespacedServiceAccountToken({
      namespace: SYSTEM_NS,
      name,
      body: { spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600 } },
    });
    const path = join(system.workDir, `kubeconfig-${name}`);
    const ca = Buffer.from(kube.ca).toString('base64');
    await writeFile(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: envtest`,
        `  cluster: {server: "${kube.url}", certificate-authority-data: "${ca}"}`,
        'users:',
        `- name: ${name}`,
        `  user: {token: "${request.status!.token}"}`,
        'contexts:',
        `- name: envtest`,
        `  context: {cluster: envtest, user: ${name}}`,
        'current-context: envtest',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return path;
  }

  it("WATCH_NAMESPACE: one namespace leaves another's hosts untouched; unset serves all, reading each host's Secrets from its own namespace", async () => {
    const [sa, sb] = [fleet.servers[4]!, fleet.servers[5]!];
    // deploy/kubernetes's adapter RBAC, as shipped: a ClusterRole bound cluster-wide, and the
    // leader-election Role in the adapter's namespace.
    const { stdout } = await kubectl(kube, [
      'kustomize',
      fileURLToPath(new URL('../deploy/kubernetes', import.meta.url)),
    ]);
    const rbac = stdout
      .split(/^---$/m)
      .filter((doc) =>
        /^kind: (ServiceAccount|ClusterRole|ClusterRoleBinding|Role|RoleBinding)$/m.test(doc),
      )
      .filter((doc) => /name: ingot-k8s-adapter/.test(doc));
    expect(rbac).toHaveLength(5);
    await kubectl(kube, ['apply', '-f', '-'], rbac.join('---\n'));
    // One namespace only (deploy/kubernetes/README.md): a ServiceAccount whose ClusterRole is
    // bound by a RoleBinding in the watched namespace, so it has no right anywhere else.
    await kubectl(
      kube,
      ['apply', '-f', '-'],
      [
        'apiVersion: v1',
        'kind: ServiceAccount',
        'metadata: {name: ingot-k8s-adapter-tenant-a, namespace: ingot}',
        '---',
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: RoleBinding',
        'metadata: {name: ingot-k8s-adapter, namespace: tenant-a}',
        'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ingot-k8s-adapter}',
        'subjects: [{kind: ServiceAccount, name: ingot-k8s-adapter-tenant-a, namespace: ingot}]',
        '---',
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: RoleBinding',
        'metadata: {name: ingot-k8s-adapter-tenant-a-leader-election, namespace: ingot}',
        'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ingot-k8s-adapter-leader-election}',
        'subjects: [{kind: ServiceAccount, name: ingot-k8s-adapter-tenant-a, namespace: ingot}]',
        '',
      ].join('\n'),
    );

    // The same host name in two namespaces; each reads its BMC Secret from its own namespace,
    // where a Secret of the same name elsewhere holds a wrong password.
    await createSecret('tenant-a', 'bmc-credentials', {
      username: sa.username,
      password: sa.password,
    });
    await createSecret('tenant-b', 'bmc-credentials', {
      username: sb.username,
      password: sb.password,
    });
    for (const decoy of [SYSTEM_NS, 'default'])
      await createSecret(decoy, 'bmc-credentials', { username: 'admin', password: 'wrong' });
    const spec = { inspectionMode: 'disabled' };
    await createHost('tenant-a', 'worker', sa, 'bmc-credentials', spec);
    await createHost('tenant-b', 'worker', sb, 'bmc-credentials', spec);

    await startAdapter('scoped', {
      KUBECONFIG: await serviceAccountKubeconfig('ingot-k8s-adapter-tenant-a'),
      WATCH_NAMESPACE: 'tenant-a',
    });
    const a = await waitForHost(
      'tenant-a',
      'worker',
      'to be available',
      inState('available'),
      60_000,
    );
    // Two more resyncs: the other namespace's host is still untouched.
    await sleep(4_500);
    const untouched = await getHost('tenant-b', 'worker');
    expect(untouched.status).toBeUndefined();
    expect(untouched.metadata?.finalizers ?? []).toEqual([]);
    expect((await nodeOf('tenant-b', 'worker')).status).toBe(404);
    expect((await core.listNamespacedEvent({ namespace: 'tenant-b' })).items).toEqual([]);
    // Nor does it touch the restart test's namespace.
    const otherVersions = (
      (await custom.listNamespacedCustomObject({ ...GROUP, namespace: NS })) as {
        items: BareMetalHost[];
      }
    ).items.map((h) => h.metadata?.resourceVersion);
    expect(await leads('scoped')).toBe(true);
    await system.kill('scoped', 'SIGTERM');

    // WATCH_NAMESPACE unset: every namespace, with deploy/'s cluster-wide rights. (Its lease
    // outlasts the next test's API server crash.)
    await startAdapter('cluster-wide', {
      KUBECONFIG: await serviceAccountKubeconfig('ingot-k8s-adapter'),
      INGOT_K8S_LEASE_DURATION_S: '30',
    });
    const b = await waitForHost(
      'tenant-b',
      'worker',
      'to be available',
      inState('available'),
      60_000,
    );
    const secretB = await core.readNamespacedSecret({
      namespace: 'tenant-b',
      name: 'bmc-credentials',
    });
    expect(b.status?.goodCredentials).toEqual({
      credentials: { name: 'bmc-credentials', namespace: 'tenant-b' },
      credentialsVersion: secretB.metadata?.resourceVersion,
    });
    const nodeA = await nodeOf('tenant-a', 'worker');
    const nodeB = await nodeOf('tenant-b', 'worker');
    expect(b.status?.provisioning.ID).toBe(nodeB.body.uuid);
    expect(nodeA.body.uuid).not.toBe(nodeB.body.uuid);
    // tenant-a's host keeps its node and is not registered again.
    await sleep(4_500);
    const a2 = await getHost('tenant-a', 'worker');
    expect(inState('available')(a2)).toBe(true);
    expect(a2.status?.provisioning.ID).toBe(a.status?.provisioning.ID);
    expect(await accepted('tenant-a', 'worker', 'manage')).toBe(1);
    expect(await accepted('tenant-b', 'worker', 'manage')).toBe(1);
    // The provisioned hosts of the restart test are served too, and being settled cost no write.
    expect(
      (
        (await custom.listNamespacedCustomObject({ ...GROUP, namespace: NS })) as {
          items: BareMetalHost[];
        }
      ).items.map((h) => h.metadata?.resourceVersion),
    ).toEqual(otherVersions);
    expect(await leads('cluster-wide')).toBe(true);
  }, 240_000);

  it('kube-apiserver killed and back within the renew deadline: the leader keeps leading, its watches back off and resume, changes on either side are served', async () => {
    const late = fleet.servers[6]!;
    const output = () => system.service('cluster-wide').output.join('');
    const lines = () =>
      output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; retryInMs?: number });
    // A change right before the API server stops, one right after it is back, and a new host.
    await updateHost('tenant-a', 'worker', (h) => {
      h.spec!.online = true;
    });
    // A crash this time: every connection, the watches too, drops at once. Down for 4 s: a few
    // watch retries.
    const restartAt = Date.now();
    await kube.stopApiServer('SIGKILL');
    await sleep(4_000);
    await kube.startApiServer();
    const restartMs = Date.now() - restartAt;
    await updateHost('tenant-b', 'worker', (h) => {
      h.spec!.online = true;
    });
    await createSecret('tenant-b', 'late-bmc', {
      username: late.username,
      password: late.password,
    });
    await createHost('tenant-b', 'late', late, 'late-bmc', { inspectionMode: 'disabled' });

    await waitForHost('tenant-a', 'worker', 'to be on', inState('available', true), 60_000);
    await waitForHost('tenant-b', 'worker', 'to be on', inState('available', true), 60_000);
    await waitForHost('tenant-b', 'late', 'to be available', inState('available', false), 60_000);
    expect(fleet.servers[4]!.bmc.state.power).toBe('On');
    expect(fleet.servers[5]!.bmc.state.power).toBe('On');

    // One term throughout: the watches resumed (or relisted) instead of a new leader relisting.
    const log = lines();
    expect(
      log.filter((l) => l.msg === 'became the leader'),
      `restart took ${restartMs} ms`,
    ).toHaveLength(1);
    expect(log.filter((l) => l.msg.startsWith('lost the leader lease'))).toEqual([]);
    expect(await leads('cluster-wide')).toBe(true);
    const failures = log.filter((l) => l.msg === 'BareMetalHost watch failed; restarting');
    expect(failures.length).toBeGreaterThan(1);
    // Backed off (1 s, 2 s, 4 s, …), never a tight loop.
    expect(failures.slice(0, 2).map((l) => l.retryInMs)).toEqual([1_000, 2_000]);
    expect(failures.length).toBeLessThan(8);
    expect(log.some((l) => l.msg === 'BareMetalHost watch resumed')).toBe(true);
    // The Secret watch, if it noticed the restart, resumes on its next list or event, which on a
    // loaded machine may come after the hosts are served (they do not wait for it).
    if (log.some((l) => l.msg === 'Secret watch failed; restarting'))
      await waitFor(
        'the Secret watch to resume',
        async () => lines().some((l) => l.msg === 'Secret watch resumed'),
        30_000,
      );

    // Quiet again: two resyncs, no write.
    const versions = async () =>
      Promise.all(
        [
          ['tenant-a', 'worker'],
          ['tenant-b', 'worker'],
          ['tenant-b', 'late'],
        ].map(async ([ns, n]) => (await getHost(ns!, n!)).metadata?.resourceVersion),
      );
    const quiet = await versions();
    await sleep(4_500);
    expect(await versions()).toEqual(quiet);
  }, 120_000);
});
