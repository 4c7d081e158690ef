// Metal3's hardware configuration through the Kubernetes adapter, against a real kube-apiserver
// and the lab: spec.raid and spec.firmware applied while a host is preparing,
// HostFirmwareSettings (with its FirmwareSchema) and HostFirmwareComponents shown and applied,
// and the firmware of a provisioned host changed by servicing at its next reboot.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
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
  customResourceDefinitions,
  type BareMetalHost,
  type FirmwareSchema,
  type HostFirmwareComponents,
  type HostFirmwareSettings,
} from '@ingot/metal3';
import { installCrds, startKubeApiServer, type KubeApiServer } from '@ingot/lab/kube-apiserver';
import { expectDeployedDisk } from './support/deployed-disk.js';
import { ImageOrigin, makeTestImage, scratchDir, type TestImage } from './support/images.js';

const NS = 'metal3';
const GROUP = { group: 'metal3.io', version: 'v1alpha1', namespace: NS };
const BMH = { ...GROUP, plural: 'baremetalhosts' };
const HFS = { ...GROUP, plural: 'hostfirmwaresettings' };
const HFC = { ...GROUP, plural: 'hostfirmwarecomponents' };
const BIOS_IMAGE = '/bios-2.11.0.bin';
const GiB = 1024 ** 3;

function bmcAddress(server: LabServer): string {
  const url = new URL(server.url);
  return `redfish-virtualmedia+${url.protocol.replace(':', '')}://${url.host}${server.systemPath}`;
}

describe("Metal3's RAID, BIOS settings and firmware through the Kubernetes adapter", () => {
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
    // The lab BMC reads the component and the version from the firmware image's name.
    await writeFile(join(scratch.path, 'bios.bin'), 'lab firmware image\n');
    origin = await ImageOrigin.start({
      '/images/test.qcow2': image.qcow2Path,
      [BIOS_IMAGE]: join(scratch.path, 'bios.bin'),
    });
    // Odd servers have two drives (Disk0, a 64 GiB SSD, and Disk1, a 500 GiB HDD): RAID 1.
    fleet = await startFleet({ count: 2, powerDelayMs: 50 });
    for (const server of fleet.servers) server.bmc.firmwareUpdateMs = 1500;
    // Steps that wait on the BMC are asked again at each heartbeat: heartbeats every 1.5 to 3 s.
    system = await Installation.start({ INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '5', LOG_LEVEL: 'info' });
    hosts = await Promise.all(
      fleet.servers.map((server) => ServerHost.create(server, { workDir: system.workDir })),
    );
    await system.startService(
      'k8s-adapter',
      {
        KUBECONFIG: kube.kubeconfigPath,
        WATCH_NAMESPACE: NS,
        POD_NAME: 'adapter-a',
        INGOT_K8S_LOOPBACK_BMC_ONLY: 'true',
        INGOT_K8S_RETRY_BASE_MS: '1000',
        INGOT_K8S_LEASE_DURATION_S: '4',
        INGOT_K8S_LEASE_RETRY_MS: '500',
        INGOT_K8S_RESYNC_MS: '2000',
      },
      'adapter-a',
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

  const get = async <T>(ref: typeof BMH, name: string) =>
    (await custom.getNamespacedCustomObject({ ...ref, name })) as T;
  const getHost = (name: string) => get<BareMetalHost>(BMH, name);

  /** Waits until `read` gives something `accept` takes; on timeout says what it last saw. */
  async function waitForObject<T>(
    what: string,
    read: () => Promise<T>,
    accept: (object: T) => boolean,
    timeoutMs = 120_000,
  ): Promise<T> {
    let last: T | undefined;
    try {
      return await waitFor(
        what,
        async () => {
          last = await read();
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
      const seen = JSON.stringify((last as { status?: unknown } | undefined)?.status);
      throw new Error(`${(error as Error).message}\n  status: ${seen}\n  warnings:\n${logs}`);
    }
  }
  const waitForHost = (
    name: string,
    what: string,
    accept: (h: BareMetalHost) => boolean,
    ms?: number,
  ) => waitForObject(`host ${name} ${what}`, () => getHost(name), accept, ms);
  const inState = (state: string) => (h: BareMetalHost) =>
    h.status?.provisioning?.state === state && h.status.operationalStatus === 'OK';

  /** Replaces an object after `change`, again on a conflict. */
  async function update<T extends { metadata?: unknown }>(
    ref: typeof BMH,
    name: string,
    change: (object: T) => void,
  ) {
    for (;;) {
      const object = await get<T>(ref, name);
      change(object);
      try {
        await custom.replaceNamespacedCustomObject({ ...ref, name, body: object });
        return;
      } catch (error) {
        if ((error as { code?: number }).code !== 409) throw error;
      }
    }
  }

  async function createHost(name: string, server: LabServer, spec: Record<string, unknown>) {
    await core.createNamespacedSecret({
      namespace: NS,
      body: {
        metadata: { name: `${name}-bmc` },
        stringData: { username: server.username, password: server.password },
      },
    });
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

  const nodeHistory = async (name: string) =>
    (
      (await system.api('GET', `/v1/nodes/${NS}~${name}/history`)).body.history as {
        event: string;
      }[]
    ).map((h) => h.event);
  const count = (events: string[], event: string) => events.filter((e) => e === event).length;
  const condition = (
    object: { status?: { conditions?: { type: string; status: string }[] } },
    type: string,
  ) => object.status?.conditions?.find((c) => c.type === type);

  const RAID = {
    hardwareRAIDVolumes: [
      { name: 'root', level: '1', controller: '1', physicalDisks: ['Disk0', 'Disk1'] },
    ],
  };
  const FIRMWARE = {
    simultaneousMultithreadingEnabled: false,
    sriovEnabled: true,
    virtualizationEnabled: false,
  };

  it('spec.raid and spec.firmware are applied while preparing: the volume and the BIOS attributes are on the BMC, status.provisioning records them', async () => {
    const server = fleet.servers[1]!;
    expect(server.bmc.state.bios.current).toMatchObject({
      ProcHyperThreading: 'Enabled',
      SriovGlobalEnable: 'Disabled',
      ProcVirtualization: 'Enabled',
    });
    await createHost('host-1', server, { raid: RAID, firmware: FIRMWARE });
    const available = await waitForHost('host-1', 'to be available', inState('available'), 240_000);
    expect(available.status?.provisioning.raid).toEqual(RAID);
    expect(available.status?.provisioning.firmware).toEqual(FIRMWARE);
    const reasons = (await core.listNamespacedEvent({ namespace: NS })).items
      .filter((e) => e.involvedObject.name === 'host-1')
      .map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['InspectionComplete', 'Available']));

    expect(server.bmc.state.pendingVolumes).toEqual([]);
    expect(server.bmc.state.volumes).toEqual([
      expect.objectContaining({
        name: 'root',
        raidType: 'RAID1',
        capacityBytes: 64 * GiB,
        drives: ['Disk0', 'Disk1'],
      }),
    ]);
    expect(server.bmc.state.bios.current).toMatchObject({
      ProcHyperThreading: 'Disabled',
      SriovGlobalEnable: 'Enabled',
      ProcVirtualization: 'Disabled',
    });
    expect(server.bmc.state.bios.pending).toEqual({});

    // Ingot's node: the target built from spec.raid (the only volume is the root volume), the
    // configuration as built, and one manual clean with BMO's steps.
    const node = (await system.api('GET', `/v1/nodes/${NS}~host-1`)).body;
    expect(node.provision_state).toBe('manageable');
    expect(node.target_raid_config).toEqual({
      logical_disks: [
        {
          size_gb: 'MAX',
          raid_level: '1',
          volume_name: 'root',
          controller: '1',
          physical_disks: ['Disk0', 'Disk1'],
          is_root_volume: true,
        },
      ],
    });
    expect(node.raid_config.logical_disks).toEqual([
      expect.objectContaining({ name: 'root', raid_level: '1', is_root_volume: true }),
    ]);
    const events = await nodeHistory('host-1');
    expect(count(events, "'clean' accepted")).toBe(1);
    for (const step of ['delete_configuration', 'create_configuration', 'apply_configuration'])
      expect(events, step).toContain(`clean step ${step} finished`);

    // Applied once: resyncs of the available host start nothing more.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(count(await nodeHistory('host-1'), "'clean' accepted")).toBe(1);
    expect((await getHost('host-1')).status?.provisioning.state).toBe('available');
  }, 300_000);

  it("HostFirmwareSettings lists the server's BIOS settings with a FirmwareSchema; a valid spec change is applied while preparing, an invalid one is refused", async () => {
    const server = fleet.servers[1]!;
    const hfs = await waitForObject(
      'HostFirmwareSettings host-1 to show the settings',
      () => get<HostFirmwareSettings>(HFS, 'host-1'),
      (o) => Object.keys(o.status?.settings ?? {}).length > 0,
      30_000,
    );
    const host = await getHost('host-1');
    expect(hfs.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'BareMetalHost', name: 'host-1', uid: host.metadata!.uid }),
    ]);
    expect(hfs.spec?.settings).toEqual({});
    expect(hfs.status?.settings).toMatchObject({
      ProcTurboMode: 'Enabled',
      ProcHyperThreading: 'Disabled',
      BootTimeoutSeconds: '5',
      SystemServiceTag: expect.any(String),
    });
    expect(condition(hfs, 'Valid')?.status).toBe('True');
    expect(condition(hfs, 'ChangeDetected')?.status).toBe('False');
    const ref = hfs.status!.schema!;
    expect(ref).toEqual({ namespace: NS, name: expect.stringMatching(/^schema-[0-9a-f]{8}$/) });
    const schema = await get<FirmwareSchema>({ ...GROUP, plural: 'firmwareschemas' }, ref.name);
    expect(schema.spec?.schema.ProcTurboMode).toEqual({
      attribute_type: 'Enumeration',
      allowable_values: ['Enabled', 'Disabled'],
      read_only: false,
    });
    expect(schema.spec?.schema.BootTimeoutSeconds).toMatchObject({
      attribute_type: 'Integer',
      lower_bound: 0,
      upper_bound: 60,
    });
    expect(schema.spec?.schema.SystemServiceTag).toMatchObject({ read_only: true });

    // Out of the registry's bounds: Valid is False with the reason, and nothing runs.
    await update<HostFirmwareSettings>(HFS, 'host-1', (o) => {
      o.spec = { settings: { BootTimeoutSeconds: 100 } };
    });
    const refused = await waitForObject(
      'HostFirmwareSettings host-1 to refuse 100',
      () => get<HostFirmwareSettings>(HFS, 'host-1'),
      (o) => condition(o, 'Valid')?.status === 'False',
      30_000,
    );
    expect(condition(refused, 'ChangeDetected')?.status).toBe('True');
    expect(refused.status?.conditions?.find((c) => c.type === 'Valid')).toMatchObject({
      reason: 'ConfigurationError',
      message: expect.stringContaining('integer 100 is above maximum value 60'),
      observedGeneration: refused.metadata?.generation,
    });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(count(await nodeHistory('host-1'), "'clean' accepted")).toBe(1);
    expect(server.bmc.state.bios.current.BootTimeoutSeconds).toBe(5);

    await update<HostFirmwareSettings>(HFS, 'host-1', (o) => {
      o.spec = { settings: { BootTimeoutSeconds: 10, ProcTurboMode: 'Disabled' } };
    });
    const applied = await waitForObject(
      'HostFirmwareSettings host-1 to show the new settings',
      () => get<HostFirmwareSettings>(HFS, 'host-1'),
      (o) =>
        o.status?.settings.ProcTurboMode === 'Disabled' &&
        condition(o, 'ChangeDetected')?.status === 'False',
      180_000,
    );
    expect(applied.status?.settings.BootTimeoutSeconds).toBe('10');
    expect(condition(applied, 'Valid')?.status).toBe('True');
    expect(server.bmc.state.bios.current).toMatchObject({
      BootTimeoutSeconds: 10,
      ProcTurboMode: 'Disabled',
      // spec.firmware's settings stay as they were applied.
      ProcHyperThreading: 'Disabled',
    });
    await waitForHost('host-1', 'to be available again', inState('available'), 60_000);
    const events = await nodeHistory('host-1');
    expect(count(events, "'clean' accepted")).toBe(2);
    // The RAID volume was not built again.
    expect(count(events, 'clean step create_configuration finished')).toBe(1);
  }, 300_000);

  it('HostFirmwareComponents lists the firmware; a BIOS update from a loopback server is flashed while preparing; an unknown component is refused', async () => {
    const server = fleet.servers[1]!;
    const hfc = await waitForObject(
      'HostFirmwareComponents host-1 to list the components',
      () => get<HostFirmwareComponents>(HFC, 'host-1'),
      (o) => (o.status?.components ?? []).length > 0,
      30_000,
    );
    expect(hfc.spec?.updates).toEqual([]);
    const components = Object.fromEntries(
      (hfc.status?.components ?? []).map((c) => [c.component, c]),
    );
    expect(Object.keys(components).sort()).toEqual(['bios', 'bmc', 'nic:NIC1']);
    expect(components.bios).toMatchObject({ initialVersion: '2.10.2', currentVersion: '2.10.2' });

    await update<HostFirmwareComponents>(HFC, 'host-1', (o) => {
      o.spec = { updates: [{ component: 'raid-controller', url: `${origin.url}/x.bin` }] };
    });
    const refused = await waitForObject(
      'HostFirmwareComponents host-1 to refuse the component',
      () => get<HostFirmwareComponents>(HFC, 'host-1'),
      (o) => condition(o, 'Valid')?.status === 'False',
      30_000,
    );
    expect(refused.status?.conditions?.find((c) => c.type === 'Valid')).toMatchObject({
      reason: 'InvalidComponent',
      message: expect.stringContaining('component raid-controller is invalid'),
    });

    const updates = [{ component: 'bios', url: `${origin.url}${BIOS_IMAGE}` }];
    await update<HostFirmwareComponents>(HFC, 'host-1', (o) => {
      o.spec = { updates };
    });
    const flashed = await waitForObject(
      'HostFirmwareComponents host-1 to show the new BIOS version',
      () => get<HostFirmwareComponents>(HFC, 'host-1'),
      (o) => o.status?.components?.find((c) => c.component === 'bios')?.currentVersion === '2.11.0',
      180_000,
    );
    expect(flashed.status?.updates).toEqual(updates);
    expect(flashed.status?.components?.find((c) => c.component === 'bios')).toMatchObject({
      initialVersion: '2.10.2',
      lastVersionFlashed: '2.11.0',
    });
    expect(condition(flashed, 'ChangeDetected')?.status).toBe('False');
    expect(server.bmc.state.firmware.BIOS).toEqual({
      version: '2.11.0',
      pendingVersion: undefined,
    });
    expect(origin.hits.get(BIOS_IMAGE)).toBe(1);
    await waitForHost('host-1', 'to be available again', inState('available'), 60_000);
    expect(count(await nodeHistory('host-1'), 'clean step update finished')).toBe(1);
  }, 300_000);

  it('a provisioned host takes a HostFirmwareSettings change by servicing at its next reboot, its deployed disk kept', async () => {
    const server = fleet.servers[0]!;
    await createSecret('host-0-user-data', `#cloud-config\nhostname: ${server.name}\n`);
    await createHost('host-0', server, {
      online: true,
      image: {
        url: `${origin.url}/images/test.qcow2`,
        checksum: image.qcow2Sha256,
        checksumType: 'sha256',
        format: 'qcow2',
      },
      userData: { name: 'host-0-user-data' },
    });
    await waitForHost(
      'host-0',
      'to be provisioned and on',
      (h) => inState('provisioned')(h) && h.status?.poweredOn === true,
      300_000,
    );
    await expectDeployedDisk(hosts[0]!.disks['/dev/sda']!, image, server.name);
    expect(server.bmc.state.bios.current.ProcTurboMode).toBe('Enabled');

    // A change alone waits for the reboot: the running server is not touched.
    await update<HostFirmwareSettings>(HFS, 'host-0', (o) => {
      o.spec = { settings: { ProcTurboMode: 'Disabled' } };
    });
    await waitForObject(
      'HostFirmwareSettings host-0 to detect the change',
      () => get<HostFirmwareSettings>(HFS, 'host-0'),
      (o) => condition(o, 'ChangeDetected')?.status === 'True',
      30_000,
    );
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await nodeHistory('host-0')).not.toContain("'service' accepted");
    expect(server.bmc.state.power).toBe('On');

    await update<BareMetalHost>(BMH, 'host-0', (h) => {
      h.metadata!.annotations = { ...h.metadata!.annotations, 'reboot.metal3.io': '' };
    });
    await waitForHost(
      'host-0',
      'to be servicing',
      (h) => h.status?.operationalStatus === 'servicing',
      120_000,
    );
    await waitForHost(
      'host-0',
      'to be provisioned, OK and on after servicing',
      (h) => inState('provisioned')(h) && h.status?.poweredOn === true,
      240_000,
    );
    expect(server.bmc.state.bios.current.ProcTurboMode).toBe('Disabled');
    const events = await nodeHistory('host-0');
    expect(count(events, "'service' accepted")).toBe(1);
    expect(events).toContain('service step apply_configuration finished');
    const hfs = await waitForObject(
      'HostFirmwareSettings host-0 to show the change',
      () => get<HostFirmwareSettings>(HFS, 'host-0'),
      (o) => condition(o, 'ChangeDetected')?.status === 'False',
      30_000,
    );
    expect(hfs.status?.settings.ProcTurboMode).toBe('Disabled');
    expect((await system.api('GET', `/v1/nodes/${NS}~host-0`)).body.provision_state).toBe('active');
    await expectDeployedDisk(hosts[0]!.disks['/dev/sda']!, image, server.name);
  }, 600_000);

  async function createSecret(name: string, userData: string) {
    await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name }, stringData: { userData } },
    });
  }
});
