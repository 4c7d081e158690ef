import { CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Installation,
  reportDisk,
  ServerHost,
  startFleet,
  waitFor,
  type Fleet,
  type LabServer,
} from '@ingot/lab';
import { customResourceDefinitions, type BareMetalHost } from '@ingot/metal3';
import { expectDeployedDisk } from './support/deployed-disk.js';
import { ImageOrigin, makeTestImage, scratchDir, type TestImage } from './support/images.js';
import { installCrds, startKubeApiServer, type KubeApiServer } from '@ingot/lab/kube-apiserver';

const NS = 'metal3';
const BMH = { group: 'metal3.io', version: 'v1alpha1', plural: 'baremetalhosts', namespace: NS };

/** The lab BMC of a server as a Metal3 bmc.address (virtual media, as the lab boots its agent). */
function bmcAddress(server: LabServer): string {
  const url = new URL(server.url);
  return `redfish-virtualmedia+${url.protocol.replace(':', '')}://${url.host}${server.systemPath}`;
}

describe('the Kubernetes adapter serves BareMetalHosts with the lab', () => {
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
    await core.createNamespace({ body: { metadata: { name: NS } } });
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({ '/images/test.qcow2': image.qcow2Path });
    fleet = await startFleet({ count: 5, powerDelayMs: 100 });
    system = await Installation.start({ INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10', LOG_LEVEL: 'info' });
    hosts = await Promise.all(
      fleet.servers.map((server) => ServerHost.create(server, { workDir: system.workDir })),
    );
    await startAdapter('adapter-a');
  }, 180_000);
  afterAll(async () => {
    await Promise.all((hosts ?? []).map((h) => h.stop()));
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
    await kube?.stop();
  });

  /** Starts an adapter replica (a service named `pod`); replicas share one Lease. */
  const startAdapter = (pod: string) =>
    system.startService(
      'k8s-adapter',
      {
        KUBECONFIG: kube.kubeconfigPath,
        WATCH_NAMESPACE: NS,
        POD_NAME: pod,
        INGOT_K8S_LOOPBACK_BMC_ONLY: 'true',
        INGOT_K8S_RETRY_BASE_MS: '1000',
        INGOT_K8S_LEASE_DURATION_S: '4',
        INGOT_K8S_LEASE_RETRY_MS: '500',
        // Resyncs every 2 s: a resync of an unchanged host must write nothing.
        INGOT_K8S_RESYNC_MS: '2000',
      },
      pod,
    );

  const getHost = async (name: string) =>
    (await custom.getNamespacedCustomObject({ ...BMH, name })) as BareMetalHost;

  /** Waits until the host's status satisfies `accept`; on timeout says where it stopped. */
  async function waitForHost(
    name: string,
    what: string,
    accept: (h: BareMetalHost) => boolean,
    timeoutMs = 120_000,
  ) {
    let last: BareMetalHost | undefined;
    try {
      return await waitFor(
        `host ${name} ${what}`,
        async () => {
          last = await getHost(name);
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
        .slice(-10)
        .join('\n');
      throw new Error(
        `${(error as Error).message}\n  status: ${JSON.stringify(last?.status)}\n  warnings:\n${logs}`,
      );
    }
  }
  const inState = (state: string) => (h: BareMetalHost) =>
    h.status?.provisioning?.state === state && h.status.operationalStatus === 'OK';

  async function createSecret(name: string, data: Record<string, string>) {
    await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name }, stringData: data },
    });
  }

  async function createHost(name: string, server: LabServer, spec: Record<string, unknown> = {}) {
    await custom.createNamespacedCustomObject({
      ...BMH,
      body: {
        apiVersion: 'metal3.io/v1alpha1',
        kind: 'BareMetalHost',
        metadata: { name, namespace: NS },
        spec: {
          online: false,
          bootMACAddress: server.macs[0],
          bmc: {
            address: bmcAddress(server),
            credentialsName: `${name}-bmc`,
            disableCertificateVerification: true,
          },
          ...spec,
        },
      },
    });
  }

  async function updateHost(name: string, change: (h: BareMetalHost) => void) {
    for (;;) {
      const host = await getHost(name);
      change(host);
      try {
        await custom.replaceNamespacedCustomObject({ ...BMH, name, body: host });
        return;
      } catch (error) {
        if ((error as { code?: number }).code !== 409) throw error;
      }
    }
  }

  it('Secret + BareMetalHost → registering → inspecting → available with HardwareData; image → provisioned; delete cleans and removes', async () => {
    const server = fleet.servers[0]!;
    await createSecret('host-0-bmc', { username: server.username, password: server.password });
    await createHost('host-0', server);

    const available = await waitForHost('host-0', 'to be available', inState('available'), 150_000);
    expect(available.metadata?.finalizers).toContain('baremetalhost.metal3.io');
    expect(available.status?.poweredOn).toBe(false);
    expect(available.status?.provisioning.ID).toMatch(/^[0-9a-f-]{36}$/);
    expect(available.status?.goodCredentials?.credentials?.name).toBe('host-0-bmc');
    const macs = available.status?.hardware?.nics?.map((n) => n.mac).sort();
    expect(macs).toEqual([...server.macs].map((m) => m.toLowerCase()).sort());
    expect(available.status?.hardware?.ramMebibytes).toBe(server.profile.memory_mb);
    const hardwareData = (await custom.getNamespacedCustomObject({
      ...BMH,
      plural: 'hardwaredata',
      name: 'host-0',
    })) as { spec: { hardware: { cpu: { count: number } } } };
    expect(hardwareData.spec.hardware.cpu.count).toBe(server.profile.cpus);
    // The node Ingot keeps for the host, under its deterministic name.
    const node = await system.api('GET', `/v1/nodes/${NS}~host-0`);
    expect(node.body.uuid).toBe(available.status?.provisioning.ID);
    expect(node.body.provision_state).toBe('manageable');

    const events = await core.listNamespacedEvent({ namespace: NS });
    expect(
      events.items.filter((e) => e.involvedObject.name === 'host-0').map((e) => e.reason),
    ).toEqual(expect.arrayContaining(['Registered', 'InspectionComplete']));

    // A quiet host costs no writes, through two resyncs: its resourceVersion stays put.
    await new Promise((r) => setTimeout(r, 5_000));
    expect((await getHost('host-0')).metadata?.resourceVersion).toBe(
      available.metadata?.resourceVersion,
    );

    await createSecret('host-0-user-data', {
      userData: `#cloud-config\nhostname: ${server.name}\n`,
    });
    await createSecret('host-0-network-data', {
      networkData: JSON.stringify({ links: [], networks: [], services: [] }),
    });
    await updateHost('host-0', (h) => {
      h.spec!.image = {
        url: `${origin.url}/images/test.qcow2`,
        checksum: image.qcow2Sha256,
        checksumType: 'sha256',
        format: 'qcow2',
      };
      h.spec!.userData = { name: 'host-0-user-data' };
      h.spec!.networkData = { name: 'host-0-network-data' };
      h.spec!.online = true;
    });
    const provisioned = await waitForHost(
      'host-0',
      'to be provisioned and on',
      (h) => inState('provisioned')(h) && h.status?.poweredOn === true,
      240_000,
    );
    expect(provisioned.status?.provisioning.image?.url).toBe(`${origin.url}/images/test.qcow2`);
    await expectDeployedDisk(hosts[0]!.disks['/dev/sda']!, image, server.name);
    expect(server.bmc.state.power).toBe('On');

    // online: false → the BMC powers off; true → on again.
    await updateHost('host-0', (h) => {
      h.spec!.online = false;
    });
    await waitForHost('host-0', 'to be off', (h) => h.status?.poweredOn === false, 60_000);
    expect(server.bmc.state.power).toBe('Off');
    await updateHost('host-0', (h) => {
      h.spec!.online = true;
    });
    await waitForHost('host-0', 'to be on', (h) => h.status?.poweredOn === true, 60_000);
    expect(server.bmc.state.power).toBe('On');

    // Deleting the host deprovisions (cleans) the server, removes the node, then the object.
    await custom.deleteNamespacedCustomObject({ ...BMH, name: 'host-0' });
    await waitFor(
      'host-0 to be gone',
      async () => {
        try {
          await getHost('host-0');
          return false;
        } catch (error) {
          return (error as { code?: number }).code === 404;
        }
      },
      240_000,
      500,
    );
    const gone = await system.api('GET', `/v1/nodes/${NS}~host-0`);
    expect(gone.status).toBe(404);
  }, 600_000);

  it('a wrong password is a registration error with a readable message; fixing the Secret recovers', async () => {
    const server = fleet.servers[1]!;
    await createSecret('host-1-bmc', { username: server.username, password: 'not-the-password' });
    await createHost('host-1', server, { inspectionMode: 'disabled' });
    const failed = await waitForHost(
      'host-1',
      'to show a registration error',
      (h) => h.status?.errorType === 'registration error',
      60_000,
    );
    expect(failed.status?.operationalStatus).toBe('error');
    expect(failed.status?.errorMessage).toMatch(/credential|401|password|auth/i);
    const secret = await core.readNamespacedSecret({ namespace: NS, name: 'host-1-bmc' });
    await core.replaceNamespacedSecret({
      namespace: NS,
      name: 'host-1-bmc',
      body: {
        ...secret,
        data: undefined,
        stringData: { username: server.username, password: server.password },
      },
    });
    const recovered = await waitForHost('host-1', 'to be available', inState('available'), 60_000);
    expect(recovered.status?.errorMessage).toBe('');
    expect(recovered.status?.goodCredentials?.credentialsVersion).not.toBe(
      failed.status?.triedCredentials?.credentialsVersion,
    );
  }, 120_000);

  it('refuses a BMC outside 127.0.0.0/8 loudly, and contacts nothing', async () => {
    await createSecret('far-bmc', { username: 'admin', password: 'password' });
    await custom.createNamespacedCustomObject({
      ...BMH,
      body: {
        apiVersion: 'metal3.io/v1alpha1',
        kind: 'BareMetalHost',
        metadata: { name: 'far', namespace: NS },
        spec: {
          online: true,
          bmc: {
            address: 'redfish://192.168.111.1:8000/redfish/v1/Systems/1',
            credentialsName: 'far-bmc',
          },
        },
      },
    });
    const refused = await waitForHost(
      'far',
      'to be refused',
      (h) => h.status?.errorType === 'registration error',
      30_000,
    );
    expect(refused.status?.errorMessage).toContain(
      "BMC host '192.168.111.1' is outside 127.0.0.0/8",
    );
    expect((await system.api('GET', `/v1/nodes/${NS}~far`)).status).toBe(404);
  });

  it('an unknown BMC scheme is a registration error naming the scheme', async () => {
    await custom.createNamespacedCustomObject({
      ...BMH,
      body: {
        apiVersion: 'metal3.io/v1alpha1',
        kind: 'BareMetalHost',
        metadata: { name: 'idrac', namespace: NS },
        spec: {
          online: false,
          bmc: {
            address: 'idrac-virtualmedia://127.0.0.1/redfish/v1/Systems/1',
            credentialsName: 'far-bmc',
          },
        },
      },
    });
    const refused = await waitForHost(
      'idrac',
      'to be refused',
      (h) => h.status?.errorType === 'registration error',
      30_000,
    );
    expect(refused.status?.errorMessage).toContain(
      "Unsupported BMC address scheme 'idrac-virtualmedia'",
    );
  });

  const image0 = () => ({
    url: `${origin.url}/images/test.qcow2`,
    checksum: image.qcow2Sha256,
    checksumType: 'sha256' as const,
    format: 'qcow2' as const,
  });
  const nodeHistory = async (name: string) =>
    (
      (await system.api('GET', `/v1/nodes/${NS}~${name}/history`)).body.history as {
        event: string;
      }[]
    ).map((h) => h.event);

  it('an externally provisioned host is adopted: externally provisioned, its disk never written', async () => {
    const server = fleet.servers[2]!;
    await createSecret('host-2-bmc', { username: server.username, password: server.password });
    await createHost('host-2', server, {
      externallyProvisioned: true,
      online: true,
      image: image0(),
    });
    await waitForHost(
      'host-2',
      'to be externally provisioned and on',
      (h) => inState('externally provisioned')(h) && h.status?.poweredOn === true,
      60_000,
    );
    const report = await reportDisk(hosts[2]!.disks['/dev/sda']!);
    expect(report.partitions).toEqual([]);
    expect(report.configDrive).toBeNull();
    const history = await nodeHistory('host-2');
    expect(history).toContain("'adopt' accepted");
    expect(history.some((e) => e.includes("'active'") || e.includes("'provide'"))).toBe(false);
  });

  it('a paused host is left alone entirely; a detached host keeps its state and is not acted on', async () => {
    const server = fleet.servers[3]!;
    await createSecret('host-3-bmc', { username: server.username, password: server.password });
    await custom.createNamespacedCustomObject({
      ...BMH,
      body: {
        apiVersion: 'metal3.io/v1alpha1',
        kind: 'BareMetalHost',
        metadata: {
          name: 'paused',
          namespace: NS,
          annotations: { 'baremetalhost.metal3.io/paused': '' },
        },
        spec: { online: true, bmc: { address: bmcAddress(server), credentialsName: 'host-3-bmc' } },
      },
    });
    await new Promise((r) => setTimeout(r, 3_000));
    const paused = await getHost('paused');
    expect(paused.status).toBeUndefined();
    expect(paused.metadata?.finalizers ?? []).toEqual([]);
    expect((await system.api('GET', `/v1/nodes/${NS}~paused`)).status).toBe(404);
    await custom.deleteNamespacedCustomObject({ ...BMH, name: 'paused' });

    // host-1 rests available and off since the credentials test.
    await updateHost('host-1', (h) => {
      h.metadata!.annotations = {
        ...h.metadata!.annotations,
        'baremetalhost.metal3.io/detached': '',
      };
    });
    const detached = await waitForHost(
      'host-1',
      'to be detached',
      (h) => h.status?.operationalStatus === 'detached',
      30_000,
    );
    expect(detached.status?.provisioning.state).toBe('available');
    await updateHost('host-1', (h) => {
      h.spec!.online = true;
    });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(fleet.servers[1]!.bmc.state.power).toBe('Off');
  });

  it('kill -9 of the adapter mid-provision converges without a second deploy; a reboot annotation reboots', async () => {
    const server = fleet.servers[4]!;
    await createSecret('host-4-bmc', { username: server.username, password: server.password });
    await createSecret('host-4-user-data', {
      userData: `#cloud-config\nhostname: ${server.name}\n`,
    });
    await createHost('host-4', server, {
      online: true,
      image: image0(),
      userData: { name: 'host-4-user-data' },
    });
    await waitForHost(
      'host-4',
      'to be provisioning',
      (h) => h.status?.provisioning?.state === 'provisioning',
      120_000,
    );
    await system.kill('adapter-a', 'SIGKILL');
    // The second replica takes the Lease once the killed one's expires (4 s here).
    await startAdapter('adapter-b');
    await waitForHost(
      'host-4',
      'to be provisioned',
      (h) => inState('provisioned')(h) && h.status?.poweredOn === true,
      240_000,
    );
    await expectDeployedDisk(hosts[4]!.disks['/dev/sda']!, image, server.name);
    const deploys = (await nodeHistory('host-4')).filter((e) => e === "'active' accepted");
    expect(deploys).toHaveLength(1);
    const lease = await kube
      .kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: NS, name: 'ingot-k8s-adapter' });
    expect(lease.spec?.holderIdentity).toBe('adapter-b');

    const changes: string[] = [];
    server.bmc.on('power', (change: { to: string }) => changes.push(change.to));
    await updateHost('host-4', (h) => {
      h.metadata!.annotations = {
        ...h.metadata!.annotations,
        'reboot.metal3.io': '{"mode":"hard"}',
      };
    });
    await waitForHost(
      'host-4',
      'to reboot and lose the one-shot annotation',
      (h) =>
        !('reboot.metal3.io' in (h.metadata?.annotations ?? {})) &&
        h.status?.poweredOn === true &&
        changes.includes('Off'),
      60_000,
    );
    await waitFor('the server to be on again', async () => server.bmc.state.power === 'On', 30_000);
    expect(changes.slice(-2)).toEqual(['Off', 'On']);
  }, 420_000);

  it('inspect.metal3.io set again re-inspects an available host, then the annotation goes; /healthz and /metrics answer', async () => {
    const server = fleet.servers[0]!;
    await createSecret('host-5-bmc', { username: server.username, password: server.password });
    await createHost('host-5', server);
    await waitForHost('host-5', 'to be available', inState('available'), 150_000);
    expect((await nodeHistory('host-5')).filter((e) => e === "'inspect' accepted")).toHaveLength(1);
    await updateHost('host-5', (h) => {
      h.metadata!.annotations = { ...h.metadata!.annotations, 'inspect.metal3.io': '' };
    });
    await waitFor(
      'a second inspection to be accepted',
      async () =>
        (await nodeHistory('host-5')).filter((e) => e === "'inspect' accepted").length === 2,
      30_000,
    );
    const again = await waitForHost(
      'host-5',
      'to be available again without the annotation',
      (h) => inState('available')(h) && !('inspect.metal3.io' in (h.metadata?.annotations ?? {})),
      150_000,
    );
    expect(again.status?.hardware?.nics?.length).toBe(2);

    const ops = `http://127.0.0.1:${system.service('adapter-b').opsPort}`;
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    expect(metrics).toMatch(/ingot_k8s_reconciles_total\{result="ok"\} [1-9]/);
    expect(metrics).toContain('ingot_k8s_leader 1');
  }, 360_000);

  it('a moved host (paused, status in baremetalhost.metal3.io/status) gets its status back and nothing else', async () => {
    const status = {
      operationalStatus: 'OK',
      errorMessage: '',
      errorCount: 0,
      provisioningFailCount: 0,
      poweredOn: true,
      provisioning: { state: 'provisioned', ID: '00000000-0000-4000-8000-000000000001' },
    };
    await custom.createNamespacedCustomObject({
      ...BMH,
      body: {
        apiVersion: 'metal3.io/v1alpha1',
        kind: 'BareMetalHost',
        metadata: {
          name: 'moved',
          namespace: NS,
          annotations: {
            'baremetalhost.metal3.io/paused': 'metal3.io/capm3',
            'baremetalhost.metal3.io/status': JSON.stringify(status),
          },
        },
        spec: {
          online: true,
          bmc: {
            address: 'redfish://192.168.111.9/redfish/v1/Systems/1',
            credentialsName: 'far-bmc',
          },
        },
      },
    });
    const moved = await waitForHost(
      'moved',
      'to have its status restored',
      (h) =>
        h.status?.provisioning?.state === 'provisioned' &&
        !('baremetalhost.metal3.io/status' in (h.metadata?.annotations ?? {})),
      30_000,
    );
    expect(moved.status).toMatchObject(status);
    expect(moved.metadata?.annotations?.['baremetalhost.metal3.io/paused']).toBe('metal3.io/capm3');
    expect((await system.api('GET', `/v1/nodes/${NS}~moved`)).status).toBe(404);
  });
});
