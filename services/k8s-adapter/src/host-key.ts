/** A BareMetalHost's place in the cluster: the key of the work queue. */
export interface HostKey {
  namespace: string;
  name: string;
}

export const keyString = (key: HostKey): string => `${key.namespace}/${key.name}`;

export function parseKey(text: string): HostKey {
  const slash = text.indexOf('/');
  return { namespace: text.slice(0, slash), name: text.slice(slash + 1) };
}

/**
 * The Ingot node of a host is named `<namespace>~<name>`, as baremetal-operator names its Ironic
 * nodes: deterministic, so a restarted adapter (or a host moved by clusterctl) finds its node and
 * never enrolls a second one.
 */
export const nodeNameOf = (key: HostKey): string => `${key.namespace}~${key.name}`;

export function keyOfNodeName(name: string | null): HostKey | undefined {
  if (!name) return undefined;
  const tilde = name.indexOf('~');
  if (tilde <= 0) return undefined;
  return { namespace: name.slice(0, tilde), name: name.slice(tilde + 1) };
}
