import { readFile } from 'node:fs/promises';
import { ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  BAREMETALHOST_PLURAL,
  customResourceDefinitions,
  HARDWAREDATA_PLURAL,
  METAL3_GROUP,
  METAL3_VERSION,
  type BareMetalHost,
  type BareMetalHostStatus,
} from '@ingot/metal3';
import {
  installCrds,
  kubectl,
  startKubeApiServer,
  type KubeApiServer,
} from '@ingot/lab/kube-apiserver';

// Upstream Metal3's example hosts, beside the repository (CI has shared/ there). Their BMCs are
// at 192.168.x addresses off this machine: they are only stored here, never contacted (no
// adapter runs in this file), and every real apply carries the paused annotation.
const examples = new URL('../../shared/reference/metal3/', import.meta.url);
const EXAMPLE_FILES = ['example-host.yaml', 'example-host-bad-credentials.yaml', 'demo-hosts.yaml'];
const exampleText = (file: string) => readFile(new URL(file, examples), 'utf8');

/** The example with the paused annotation added to each BareMetalHost, nothing else changed. */
function paused(text: string): string {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Record<string, any> | null)
    .filter((object) => object !== null)
    .map((object) => {
      if (object.kind === 'BareMetalHost') {
        object.metadata.annotations = {
          ...object.metadata.annotations,
          [ANNOTATIONS.paused]: 'ingot-test',
        };
      }
      return `---\n${stringify(object)}`;
    })
    .join('');
}

/** demo-hosts.yaml also holds an OpenShift Machine (what a demo host is consumed by). */
const MACHINE_STAND_IN = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'machines.machine.openshift.io' },
  spec: {
    group: 'machine.openshift.io',
    names: { kind: 'Machine', listKind: 'MachineList', plural: 'machines', singular: 'machine' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1beta1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    ],
  },
};

const host = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: `${METAL3_GROUP}/${METAL3_VERSION}`,
  kind: 'BareMetalHost',
  metadata: { name, annotations: { [ANNOTATIONS.paused]: 'ingot-test' } },
  spec: {
    online: true,
    bmc: { address: 'redfish://127.0.0.1:1/redfish/v1/Systems/1', credentialsName: 'none' },
    ...spec,
  },
});

describe("Metal3's BareMetalHost and HardwareData on a real API server", () => {
  let server: KubeApiServer;
  let objects: CustomObjectsApi;
  beforeAll(async () => {
    server = await startKubeApiServer();
    await installCrds(server, [...customResourceDefinitions(), MACHINE_STAND_IN]);
    objects = server.kubeConfig().makeApiClient(CustomObjectsApi);
    await kubectl(server, ['create', 'namespace', 'openshift-machine-api']);
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('installs both CRDs, Established with the names and short names Metal3 uses', async () => {
    const api = server.kubeConfig().makeApiClient(ApiextensionsV1Api);
    for (const [name, shortNames] of [
      ['baremetalhosts.metal3.io', ['bmh', 'bmhost']],
      ['hardwaredata.metal3.io', ['hd']],
    ] as const) {
      const crd = await api.readCustomResourceDefinition({ name });
      const conditions = Object.fromEntries(
        (crd.status?.conditions ?? []).map((c) => [c.type, c.status]),
      );
      expect(conditions).toMatchObject({ NamesAccepted: 'True', Established: 'True' });
      expect(crd.status?.acceptedNames?.shortNames).toEqual(shortNames);
    }
    // Stored exactly as generated: no keyword lost on the way (enum, default, x-kubernetes-*).
    for (const generated of customResourceDefinitions()) {
      const { stdout } = await kubectl(server, [
        'get',
        'crd',
        generated.metadata.name,
        '-o',
        'json',
      ]);
      const stored = JSON.parse(stdout) as typeof generated;
      expect(stored.spec.versions).toEqual(generated.spec.versions);
      expect(stored.spec.names).toEqual(generated.spec.names);
    }
  });

  it("upstream's example hosts pass a server-side dry run unchanged", async () => {
    for (const file of EXAMPLE_FILES) {
      const { stdout } = await kubectl(
        server,
        ['apply', '--dry-run=server', '-f', '-'],
        await exampleText(file),
      );
      expect(stdout, file).toMatch(/baremetalhost\.metal3\.io\/\S+ created \(server dry run\)/);
    }
    const { stdout } = await kubectl(server, ['get', 'bmh', '-A', '-o', 'name']);
    expect(stdout.trim()).toBe('');
  });

  it("upstream's example hosts apply for real with the paused annotation, and `kubectl get bmh` shows Metal3's columns", async () => {
    // example-host.yaml and the bad-credentials one both name their host example-baremetalhost.
    for (const [file, namespace] of [
      ['example-host.yaml', 'example'],
      ['example-host-bad-credentials.yaml', 'bad-credentials'],
      ['demo-hosts.yaml', 'default'],
    ] as const) {
      // demo-hosts.yaml names its Machine's namespace, so it goes to the context's (default).
      const target = namespace === 'default' ? [] : ['-n', namespace];
      if (namespace !== 'default') await kubectl(server, ['create', 'namespace', namespace]);
      await kubectl(server, ['apply', ...target, '-f', '-'], paused(await exampleText(file)));
    }
    const demo = await kubectl(server, ['get', 'bmh', '-n', 'default']);
    const [header, ...rows] = demo.stdout.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'STATE', 'CONSUMER', 'ONLINE', 'ERROR', 'AGE']);
    expect(rows.map((row) => row.split(/\s+/)[0]).sort()).toEqual([
      'demo-available',
      'demo-discovered',
      'demo-externally-provisioned',
      'demo-inspecting',
      'demo-provisioned',
      'demo-provisioning',
      'demo-registering',
      'demo-registration-error',
      'demo-validation-error',
    ]);
    const consumed = rows.find((row) => row.startsWith('demo-externally-provisioned '))!;
    expect(consumed.split(/\s+/).slice(1, 3)).toEqual(['demo-ostest-worker', 'false']);

    const wide = await kubectl(server, ['get', 'bmhost', '-n', 'example', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]!.split(/\s+/)).toEqual([
      'NAME',
      'STATUS',
      'STATE',
      'CONSUMER',
      'BMC',
      'ONLINE',
      'ERROR',
      'AGE',
    ]);
    expect(wide.stdout).toContain('ipmi://192.168.122.1:6233');

    const stored = (await objects.getNamespacedCustomObject({
      group: METAL3_GROUP,
      version: METAL3_VERSION,
      namespace: 'example',
      plural: BAREMETALHOST_PLURAL,
      name: 'example-baremetalhost',
    })) as BareMetalHost;
    expect(stored.metadata?.annotations?.[ANNOTATIONS.paused]).toBe('ingot-test');
    // Defaulted by the schema, as upstream's CRD does.
    expect(stored.spec?.automatedCleaningMode).toBe('metadata');
    expect(stored.status).toBeUndefined();
  });

  it("refuses values outside Metal3's enums and patterns, naming the field", async () => {
    const refused = async (object: object) =>
      kubectl(server, ['apply', '--dry-run=server', '-n', 'default', '-f', '-'], stringify(object))
        .then(() => 'accepted')
        .catch((error: Error) => error.message);
    expect(
      await refused(
        host('bad-checksum', { image: { url: 'http://x/i.qcow2', checksumType: 'crc32' } }),
      ),
    ).toMatch(/spec\.image\.checksumType: Unsupported value: "crc32"/);
    expect(
      await refused(host('bad-format', { image: { url: 'http://x/i', format: 'vhd' } })),
    ).toMatch(/spec\.image\.format: Unsupported value: "vhd"/);
    expect(await refused(host('bad-boot', { bootMode: 'bios' }))).toMatch(
      /spec\.bootMode: Unsupported value: "bios"/,
    );
    expect(await refused(host('bad-cleaning', { automatedCleaningMode: 'always' }))).toMatch(
      /spec\.automatedCleaningMode: Unsupported value: "always"/,
    );
    expect(await refused(host('bad-mac', { bootMACAddress: 'not-a-mac' }))).toMatch(
      /spec\.bootMACAddress: Invalid value: "not-a-mac"/,
    );
    const noOnline = host('no-online', {});
    delete (noOnline.spec as Record<string, unknown>).online;
    expect(await refused(noOnline)).toMatch(/spec\.online: Required value/);
    expect(
      await refused(host('good', { image: { url: 'http://x/i.qcow2', checksumType: 'sha256' } })),
    ).toBe('accepted');
  });

  it('takes status only through the status subresource, with the fields Metal3 requires', async () => {
    const ref = {
      group: METAL3_GROUP,
      version: METAL3_VERSION,
      namespace: 'default',
      plural: BAREMETALHOST_PLURAL,
      name: 'status-probe',
    };
    await objects.createNamespacedCustomObject({
      ...ref,
      body: {
        ...host('status-probe', {}),
        status: { operationalStatus: 'OK', poweredOn: true },
      },
    });
    const created = (await objects.getNamespacedCustomObject(ref)) as BareMetalHost;
    expect(created.status).toBeUndefined();

    const status: BareMetalHostStatus = {
      operationalStatus: 'error',
      errorType: 'detach error',
      errorMessage: 'the BMC at 127.0.0.1:1 refused the connection',
      errorCount: 1,
      provisioningFailCount: 0,
      poweredOn: false,
      provisioning: { state: 'available', ID: '00000000-0000-4000-8000-000000000001' },
    };
    await objects.replaceNamespacedCustomObjectStatus({ ...ref, body: { ...created, status } });
    const { stdout } = await kubectl(server, ['get', 'bmh', 'status-probe', '-n', 'default']);
    expect(stdout.split('\n')[1]!.split(/\s+/).slice(0, 6)).toEqual([
      'status-probe',
      'available',
      'true',
      'detach',
      'error',
      expect.stringMatching(/^\d+s$/),
    ]);

    const current = (await objects.getNamespacedCustomObject(ref)) as BareMetalHost;
    const incomplete = { ...current, status: { operationalStatus: 'OK' } };
    await expect(
      objects.replaceNamespacedCustomObjectStatus({ ...ref, body: incomplete }),
    ).rejects.toThrow(/status\.provisioning: Required value/);
  });

  it('stores HardwareData with the inspected hardware', async () => {
    const ref = {
      group: METAL3_GROUP,
      version: METAL3_VERSION,
      namespace: 'default',
      plural: HARDWAREDATA_PLURAL,
    };
    await objects.createNamespacedCustomObject({
      ...ref,
      body: {
        apiVersion: `${METAL3_GROUP}/${METAL3_VERSION}`,
        kind: 'HardwareData',
        metadata: { name: 'status-probe' },
        spec: {
          hardware: {
            cpu: { arch: 'x86_64', count: 2, clockMegahertz: 2400.5 },
            nics: [{ name: 'eth0', mac: '52:54:00:12:34:56', ip: '127.0.0.2', pxe: true }],
            storage: [{ name: '/dev/vda', sizeBytes: 21474836480, type: 'HDD' }],
            ramMebibytes: 2048,
          },
        },
      },
    });
    const { stdout } = await kubectl(server, [
      'get',
      'hd',
      'status-probe',
      '-n',
      'default',
      '-o',
      'jsonpath={.spec.hardware.nics[0].mac} {.spec.hardware.storage[0].sizeBytes}',
    ]);
    expect(stdout).toBe('52:54:00:12:34:56 21474836480');
  });
});
