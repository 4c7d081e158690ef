import type { BareMetalHost, Condition } from '@ingot/metal3';

/** Kubernetes' time format for conditions and lastUpdated: seconds, UTC. */
export const kubeNow = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * apimachinery's meta.SetStatusCondition: the condition of that type replaced, its
 * lastTransitionTime kept unless its status changes.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  wanted: Omit<Condition, 'lastTransitionTime'>,
): Condition[] {
  const list = [...(conditions ?? [])];
  const at = list.findIndex((c) => c.type === wanted.type);
  const previous = at >= 0 ? list[at] : undefined;
  const next: Condition = {
    ...wanted,
    lastTransitionTime:
      previous && previous.status === wanted.status ? previous.lastTransitionTime : kubeNow(),
  };
  if (at >= 0) list[at] = next;
  else list.push(next);
  return list;
}

/**
 * The builder of a resource's conditions, each stamped with the generation it was computed for
 * (observedGeneration), as the baremetal-operator writes them on HostFirmwareSettings and
 * HostFirmwareComponents.
 */
export function conditionsFor(generation: number | undefined) {
  return (type: string, status: 'True' | 'False', reason: string, message = '') => ({
    type,
    status,
    reason,
    message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  });
}

export const findCondition = (conditions: readonly Condition[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type);

/** The ownerReferences entry that makes an object belong to its host (deleted with it). */
export function ownedByHost(host: BareMetalHost) {
  return {
    apiVersion: host.apiVersion ?? 'metal3.io/v1alpha1',
    kind: 'BareMetalHost',
    name: host.metadata!.name!,
    uid: host.metadata!.uid!,
  };
}
