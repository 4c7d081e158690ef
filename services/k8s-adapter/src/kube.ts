import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import {
  BAREMETALHOST_PLURAL,
  HARDWAREDATA_KIND,
  HARDWAREDATA_PLURAL,
  METAL3_API_VERSION,
  METAL3_GROUP,
  METAL3_VERSION,
  type BareMetalHost,
  type HardwareDetails,
} from '@ingot/metal3';
import type { HostKey } from './host-key.js';

/** Any namespaced object: what the generic calls need of it. */
interface MetaObject {
  metadata?: { name?: string; namespace?: string };
}
const keyOf = (body: MetaObject): HostKey => ({
  namespace: body.metadata!.namespace!,
  name: body.metadata!.name!,
});

/** The HTTP status of a failed client-node call (its ApiException carries `code`). */
export const statusOf = (error: unknown): number | undefined =>
  (error as { code?: number; statusCode?: number }).code ??
  (error as { statusCode?: number }).statusCode;

/** The few Kubernetes calls the adapter makes, with Metal3's group and plurals filled in. */
export class Kube {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;

  constructor(readonly config: KubeConfig) {
    this.custom = config.makeApiClient(CustomObjectsApi);
    this.core = config.makeApiClient(CoreV1Api);
  }

  private hostRef(key: HostKey) {
    return {
      group: METAL3_GROUP,
      version: METAL3_VERSION,
      plural: BAREMETALHOST_PLURAL,
      namespace: key.namespace,
      name: key.name,
    };
  }

  /** The host as the API server has it now, or undefined when it is gone. */
  async getHost(key: HostKey): Promise<BareMetalHost | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject(this.hostRef(key))) as BareMetalHost;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** PUT of the object (metadata, spec); fails with 409 when its resourceVersion is stale. */
  async replaceHost(host: BareMetalHost): Promise<BareMetalHost> {
    const key = { namespace: host.metadata!.namespace!, name: host.metadata!.name! };
    return (await this.custom.replaceNamespacedCustomObject({
      ...this.hostRef(key),
      body: host,
    })) as BareMetalHost;
  }

  /** PUT of the status subresource; fails with 409 when its resourceVersion is stale. */
  async replaceHostStatus(host: BareMetalHost): Promise<BareMetalHost> {
    const key = { namespace: host.metadata!.namespace!, name: host.metadata!.name! };
    return (await this.custom.replaceNamespacedCustomObjectStatus({
      ...this.hostRef(key),
      body: host,
    })) as BareMetalHost;
  }

  async getSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret({ namespace, name });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  private objectRef(plural: string, key: HostKey) {
    return {
      group: METAL3_GROUP,
      version: METAL3_VERSION,
      plural,
      namespace: key.namespace,
      name: key.name,
    };
  }

  /** A metal3.io object of the given plural (a host's HostFirmwareSettings...), or undefined. */
  async getObject<T>(plural: string, key: HostKey): Promise<T | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject(this.objectRef(plural, key))) as T;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Creates a metal3.io object; fails with 409 when one of its name exists. */
  async createObject<T extends MetaObject>(plural: string, body: T): Promise<T> {
    const { name: _name, ...ref } = this.objectRef(plural, keyOf(body));
    return (await this.custom.createNamespacedCustomObject({ ...ref, body })) as T;
  }

  /** PUT of a metal3.io object (metadata, spec); 409 when its resourceVersion is stale. */
  async replaceObject<T extends MetaObject>(plural: string, body: T): Promise<T> {
    return (await this.custom.replaceNamespacedCustomObject({
      ...this.objectRef(plural, keyOf(body)),
      body,
    })) as T;
  }

  /** PUT of a metal3.io object's status subresource; 409 when its resourceVersion is stale. */
  async replaceObjectStatus<T extends MetaObject>(plural: string, body: T): Promise<T> {
    return (await this.custom.replaceNamespacedCustomObjectStatus({
      ...this.objectRef(plural, keyOf(body)),
      body,
    })) as T;
  }

  /** Creates or updates the host's HardwareData (same name, owned by the host). */
  async putHardwareData(host: BareMetalHost, hardware: HardwareDetails): Promise<void> {
    const namespace = host.metadata!.namespace!;
    const name = host.metadata!.name!;
    const ref = {
      group: METAL3_GROUP,
      version: METAL3_VERSION,
      plural: HARDWAREDATA_PLURAL,
      namespace,
      name,
    };
    const body = {
      apiVersion: METAL3_API_VERSION,
      kind: HARDWAREDATA_KIND,
      metadata: {
        name,
        namespace,
        ownerReferences: [
          {
            apiVersion: METAL3_API_VERSION,
            kind: 'BareMetalHost',
            name,
            uid: host.metadata!.uid!,
          },
        ],
      },
      spec: { hardware },
    };
    let current: { metadata?: { resourceVersion?: string }; spec?: unknown } | undefined;
    try {
      current = (await this.custom.getNamespacedCustomObject(ref)) as typeof current;
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    if (!current) {
      await this.custom.createNamespacedCustomObject({ ...ref, body });
    } else if (JSON.stringify(current.spec) !== JSON.stringify(body.spec)) {
      await this.custom.replaceNamespacedCustomObject({
        ...ref,
        body: {
          ...body,
          metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion },
        },
      });
    }
  }
}
