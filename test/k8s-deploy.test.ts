import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, startKubeApiServer, type KubeApiServer } from '@ingot/lab/kube-apiserver';

const base = fileURLToPath(new URL('../deploy/kubernetes', import.meta.url));
const siteB = fileURLToPath(new URL('../deploy/kubernetes/overlays/site-b', import.meta.url));
const run = promisify(execFile);
const ADAPTER = 'system:serviceaccount:ingot:ingot-k8s-adapter';

/** The objects a kustomization renders to. */
async function render(server: KubeApiServer, dir: string): Promise<Record<string, any>[]> {
  const { stdout } = await kubectl(server, ['kustomize', dir]);
  return parseAllDocuments(stdout).map((doc) => doc.toJS() as Record<string, any>);
}

const deployments = (objects: Record<string, any>[]) =>
  objects.filter((o) => o.kind === 'Deployment');
const envOf = (deployment: Record<string, any>): Record<string, any> =>
  Object.fromEntries(
    (deployment.spec.template.spec.containers[0].env ?? []).map((e: any) => [e.name, e]),
  );

describe('deploy/kubernetes (kustomize) on a real API server', () => {
  let server: KubeApiServer;
  beforeAll(async () => {
    server = await startKubeApiServer();
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('renders one Deployment per service with Secret references, /healthz probes and no IP address', async () => {
    const objects = await render(server, base);
    expect(
      deployments(objects)
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual([
      'ingot-api',
      'ingot-conductor',
      'ingot-imagecache',
      'ingot-inspector',
      'ingot-k8s-adapter',
      'ingot-power',
    ]);
    // The key is created by the operator (README), never shipped.
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const deployment of deployments(objects)) {
      const container = deployment.spec.template.spec.containers[0];
      const env = envOf(deployment);
      expect(env.DATABASE_URL?.valueFrom?.secretKeyRef, deployment.metadata.name).toEqual({
        name: 'ingot-secrets',
        key: 'DATABASE_URL',
      });
      expect(container.readinessProbe.httpGet.path).toBe('/healthz');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container.envFrom).toEqual([{ configMapRef: { name: 'ingot-config' } }]);
    }
    for (const name of [
      'ingot-api',
      'ingot-conductor',
      'ingot-power',
      'ingot-inspector',
      'ingot-k8s-adapter',
    ]) {
      const deployment = deployments(objects).find((d) => d.metadata.name === name)!;
      expect(envOf(deployment).INGOT_SECRET_KEY.valueFrom.secretKeyRef, name).toEqual({
        name: 'ingot-secrets',
        key: 'INGOT_SECRET_KEY',
      });
    }
    const adapter = deployments(objects).find((d) => d.metadata.name === 'ingot-k8s-adapter')!;
    expect(adapter.spec.replicas).toBe(2);
    expect(adapter.spec.template.spec.serviceAccountName).toBe('ingot-k8s-adapter');
    expect(
      objects
        .filter((o) => o.kind === 'Service')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['ingot-api', 'ingot-imagecache']);
    const { stdout } = await kubectl(server, ['kustomize', base]);
    // Listen addresses are the wildcard; every other address is a name the cluster resolves.
    const addresses = stdout.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? [];
    expect(addresses.filter((address) => address !== '0.0.0.0')).toEqual([]);
  });

  it('`kubectl apply --dry-run=server -k deploy/kubernetes` succeeds, then the real apply', async () => {
    // A server-side dry run creates nothing, so the namespace its objects go to must exist.
    await kubectl(server, ['create', 'namespace', 'ingot']);
    const dry = await kubectl(server, ['apply', '--dry-run=server', '-k', base]);
    expect(dry.stdout).toContain('deployment.apps/ingot-k8s-adapter created (server dry run)');
    for (const crd of [
      'baremetalhosts',
      'hardwaredata',
      'hostfirmwaresettings',
      'firmwareschemas',
      'hostfirmwarecomponents',
    ])
      expect(dry.stdout).toContain(
        `customresourcedefinition.apiextensions.k8s.io/${crd}.metal3.io created (server dry run)`,
      );
    const { stdout } = await kubectl(server, ['apply', '-k', base]);
    expect(stdout).toContain('deployment.apps/ingot-api created');
    const listed = await kubectl(server, ['get', 'deployments', '-n', 'ingot', '-o', 'name']);
    expect(listed.stdout.trim().split('\n')).toHaveLength(6);
  });

  it("gives the adapter's ServiceAccount only what it needs", async () => {
    // `kubectl auth can-i` prints yes or no and exits 1 on no; anything else is a failure.
    const can = (...args: string[]) =>
      run('kubectl', [
        '--kubeconfig',
        server.kubeconfigPath,
        'auth',
        'can-i',
        `--as=${ADAPTER}`,
        ...args,
      ])
        .then((r) => r.stdout.trim())
        .catch((error: { stdout?: string; stderr?: string }) => {
          if (error.stdout?.trim() === 'no') return 'no';
          throw new Error(`kubectl auth can-i ${args.join(' ')} failed: ${error.stderr}`);
        });
    const allowed = [
      ['watch', 'baremetalhosts.metal3.io', '-A'],
      ['patch', 'baremetalhosts.metal3.io', '-n', 'tenant'],
      ['update', 'baremetalhosts.metal3.io', '--subresource=status', '-n', 'tenant'],
      ['update', 'baremetalhosts.metal3.io', '--subresource=finalizers', '-n', 'tenant'],
      ['create', 'hardwaredata.metal3.io', '-n', 'tenant'],
      ['create', 'hostfirmwaresettings.metal3.io', '-n', 'tenant'],
      ['update', 'hostfirmwaresettings.metal3.io', '--subresource=status', '-n', 'tenant'],
      ['watch', 'hostfirmwarecomponents.metal3.io', '-A'],
      ['update', 'hostfirmwarecomponents.metal3.io', '--subresource=status', '-n', 'tenant'],
      ['create', 'firmwareschemas.metal3.io', '-n', 'tenant'],
      ['get', 'secrets', '-n', 'tenant'],
      ['watch', 'secrets', '-A'],
      ['create', 'events', '-n', 'tenant'],
      ['update', 'leases.coordination.k8s.io', '-n', 'ingot'],
    ];
    const refused = [
      ['create', 'baremetalhosts.metal3.io', '-n', 'tenant'],
      ['delete', 'baremetalhosts.metal3.io', '-n', 'tenant'],
      ['delete', 'hostfirmwaresettings.metal3.io', '-n', 'tenant'],
      ['create', 'secrets', '-n', 'tenant'],
      ['update', 'secrets', '-n', 'ingot'],
      ['delete', 'secrets', '-n', 'tenant'],
      ['update', 'leases.coordination.k8s.io', '-n', 'tenant'],
      ['get', 'pods', '-n', 'ingot'],
      ['update', 'customresourcedefinitions.apiextensions.k8s.io'],
    ];
    for (const args of allowed) expect(await can(...args), args.join(' ')).toBe('yes');
    for (const args of refused) expect(await can(...args), args.join(' ')).toBe('no');
  });

  it('the site-b overlay adds a second site that the API server accepts', async () => {
    const objects = await render(server, siteB);
    const siteBDeployments = deployments(objects).filter((d) =>
      d.metadata.name.endsWith('-site-b'),
    );
    expect(siteBDeployments.map((d) => d.metadata.name).sort()).toEqual([
      'ingot-conductor-site-b',
      'ingot-imagecache-site-b',
      'ingot-inspector-site-b',
      'ingot-power-site-b',
    ]);
    for (const deployment of siteBDeployments) {
      expect(envOf(deployment).INGOT_SITE?.value, deployment.metadata.name).toBe('site-b');
      expect(deployment.spec.selector.matchLabels['app.kubernetes.io/instance']).toBe('site-b');
    }
    // Each site's image cache Service selects only its own site's pods.
    const services = objects.filter(
      (o) => o.kind === 'Service' && /imagecache/.test(o.metadata.name),
    );
    expect(Object.fromEntries(services.map((s) => [s.metadata.name, s.spec.selector]))).toEqual({
      'ingot-imagecache': {
        'app.kubernetes.io/instance': 'default-site',
        'app.kubernetes.io/name': 'ingot-imagecache',
      },
      'ingot-imagecache-site-b': {
        'app.kubernetes.io/instance': 'site-b',
        'app.kubernetes.io/name': 'ingot-imagecache',
      },
    });
    const dry = await kubectl(server, ['apply', '--dry-run=server', '-k', siteB]);
    expect(dry.stdout).toContain('deployment.apps/ingot-conductor-site-b created (server dry run)');
    expect(dry.stdout).toContain('deployment.apps/ingot-api unchanged (server dry run)');
  });
});
