import { loadYaml, type V1Secret } from '@kubernetes/client-node';
import type { BareMetalHost } from '@ingot/metal3';
import { parseStructured, secretText } from './host-inputs.js';
import { HostProblem, type ReconcilerDeps } from './reconcile-context.js';

/** The config drive of userData, networkData and metaData Secrets (Metal3's keys). */
export async function configDriveOf(
  deps: ReconcilerDeps,
  host: BareMetalHost,
): Promise<Record<string, unknown>> {
  const meta = host.metadata!;
  const spec = host.spec!;
  const read = async (
    ref: { name?: string; namespace?: string } | undefined,
    what: string,
  ): Promise<V1Secret | undefined> => {
    if (!ref?.name) return undefined;
    const namespace = ref.namespace || meta.namespace!;
    const secret = await deps.kube.getSecret(namespace, ref.name);
    if (!secret)
      throw new HostProblem(
        'provisioning error',
        'provisioning',
        `Secret ${namespace}/${ref.name} (spec.${what}) does not exist`,
      );
    return secret;
  };
  const userData = secretText(await read(spec.userData, 'userData'), 'userData', 'value');
  const networkText = secretText(
    await read(spec.networkData, 'networkData'),
    'networkData',
    'nmstate',
  );
  const metaText = secretText(await read(spec.metaData, 'metaData'), 'metaData');
  const parse = (text: string, what: string) => {
    try {
      return parseStructured(text, what, loadYaml);
    } catch (error) {
      throw new HostProblem('provisioning error', 'provisioning', (error as Error).message);
    }
  };
  return {
    meta_data: {
      uuid: meta.uid,
      'metal3-namespace': meta.namespace,
      'metal3-name': meta.name,
      'local-hostname': meta.name,
      local_hostname: meta.name,
      name: meta.name,
      ...(metaText ? parse(metaText, `Secret of spec.metaData`) : {}),
    },
    ...(userData ? { user_data: userData } : {}),
    ...(networkText ? { network_data: parse(networkText, 'Secret of spec.networkData') } : {}),
  };
}
