import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, startFleet, waitFor, type Fleet } from '@ingot/lab';
import { customResourceDefinitions, type BareMetalHost } from '@ingot/metal3';
import { installCrds, startKubeApiServer, type KubeApiServer } from '@ingot/lab/kube-apiserver';
import { OtlpReceiver } from './support/otlp-receiver.js';

const NS = 'traced';
const BMH = { group: 'metal3.io', version: 'v1alpha1', plural: 'baremetalhosts', namespace: NS };

describe("the adapter's reconcile joins the trace of the node operation that woke it", () => {
  let kube: KubeApiServer;
  let system: Installation;
  let fleet: Fleet;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    await installCrds(kube, customResourceDefinitions());
    fleet = await startFleet({ count: 1 });
    receiver = await OtlpReceiver.start();
    system = await Installation.start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    await system.startService('k8s-adapter', {
      KUBECONFIG: kube.kubeconfigPath,
      WATCH_NAMESPACE: NS,
      INGOT_K8S_LOOPBACK_BMC_ONLY: 'true',
    });
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
    await receiver?.close();
    await kube?.stop();
  });

  it('a power change made through the API is answered by a reconcile in the same trace', async () => {
    const server = fleet.servers[0]!;
    const core = kube.kubeConfig().makeApiClient(CoreV1Api);
    const custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedSecret({
      namespace: NS,
      body: {
        metadata: { name: 'bmc' },
        stringData: { username: server.username, password: server.password },
      },
    });
    const url = new URL(server.url);
    await custom.createNamespacedCustomObject({
      ...BMH,
      body: {
        apiVersion: 'metal3.io/v1alpha1',
        kind: 'BareMetalHost',
        metadata: { name: 'traced', namespace: NS },
        spec: {
          online: false,
          inspectionMode: 'disabled',
          bmc: {
            address: `redfish-virtualmedia+${url.protocol.replace(':', '')}://${url.host}${server.systemPath}`,
            credentialsName: 'bmc',
            disableCertificateVerification: true,
          },
        },
      },
    });
    await waitFor(
      'the host to be available',
      async () => {
        const host = (await custom.getNamespacedCustomObject({
          ...BMH,
          name: 'traced',
        })) as BareMetalHost;
        return host.status?.provisioning?.state === 'available';
      },
      60_000,
    );

    // Someone powers the server on behind the host's back; the adapter, woken by the node's
    // power event, powers it off again (online: false), inside the operation's trace.
    const traceId = randomBytes(16).toString('hex');
    const res = await system.api(
      'PUT',
      `/v1/nodes/${NS}~traced/states/power`,
      { target: 'power on' },
      { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    );
    expect(res.status).toBe(202);
    // Each service exports its spans in its own batches, so the adapter's may arrive before the
    // API's: wait for the spans of every service on the path, not only for the reconcile.
    const expected = ['ingot-api', 'ingot-conductor', 'ingot-power', 'ingot-k8s-adapter'];
    const spans = await waitFor(
      `the adapter's reconcile and the spans of ${expected.join(', ')} in the trace`,
      async () => {
        const inTrace = receiver.spans.filter((s) => s.traceId === traceId);
        const services = new Set(inTrace.map((s) => s.service));
        const reconciled = inTrace.some(
          (s) => s.service === 'ingot-k8s-adapter' && s.name === 'k8s-adapter reconcile',
        );
        return reconciled && expected.every((name) => services.has(name)) ? inTrace : undefined;
      },
      30_000,
    );
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(expected));
    await waitFor(
      'the adapter to power the server off again',
      async () => server.bmc.state.power === 'Off',
      30_000,
    );
  });
});
