import {
  FIRMWARE_CONDITIONS,
  HOSTFIRMWARECOMPONENTS_KIND,
  HOSTFIRMWARECOMPONENTS_PLURAL,
  METAL3_API_VERSION,
  NIC_COMPONENT_PREFIX,
  type BareMetalHost,
  type FirmwareComponentStatus,
  type FirmwareUpdate,
  type HostFirmwareComponents,
} from '@ingot/metal3';
import { firmwareComponentsOf, type FirmwareComponentRow, type NodeRow } from '@ingot/store';
import { conditionsFor, findCondition, kubeNow, ownedByHost, setCondition } from './conditions.js';
import { canonical } from './host-status.js';
import type { ReconcilerDeps } from './reconcile-context.js';

// HostFirmwareComponents (baremetal-operator's HostFirmwareComponentsReconciler, run with the
// host's reconcile): status.components are the firmware versions Ingot read from the BMC,
// status.updates the updates last started, and the conditions say whether spec.updates asks for
// more (ChangeDetected) with components Metal3 knows (Valid).

type HfcStatus = NonNullable<HostFirmwareComponents['status']>;

/** The components Metal3 shows: bios, bmc and the NICs (nic:<id>); others are ignored. */
const isKnownComponent = (name: string) =>
  name === 'bios' || name === 'bmc' || name.startsWith(NIC_COMPONENT_PREFIX);

const seconds = (date: Date) => date.toISOString().replace(/\.\d+Z$/, 'Z');

/** The node's firmware components as status.components lists them. */
export function componentsOf(rows: readonly FirmwareComponentRow[]): FirmwareComponentStatus[] {
  return rows
    .filter((row) => isKnownComponent(row.component))
    .map((row) => ({
      component: row.component,
      initialVersion: row.initialVersion ?? '',
      ...(row.currentVersion ? { currentVersion: row.currentVersion } : {}),
      ...(row.lastVersionFlashed ? { lastVersionFlashed: row.lastVersionFlashed } : {}),
      ...(row.updatedAt ? { updatedAt: seconds(row.updatedAt) } : {}),
    }));
}

/** Why spec.updates cannot be applied (Metal3's ValidateHostFirmwareComponents), or undefined. */
export function updatesProblem(updates: readonly FirmwareUpdate[]): string | undefined {
  const bad = updates.find((u) => !isKnownComponent(u.component));
  return bad
    ? `component ${bad.component} is invalid, only 'bmc', 'bios', or names starting with '${NIC_COMPONENT_PREFIX}' are allowed as update names`
    : undefined;
}

/** The status for these components and the object's spec (no lastUpdated). */
export function componentsStatusOf(
  hfc: HostFirmwareComponents,
  components: FirmwareComponentStatus[],
): HfcStatus {
  const previous = hfc.status ?? {};
  const wanted = hfc.spec?.updates ?? [];
  const applied = previous.updates ?? [];
  const mismatch =
    (wanted.length > 0 || applied.length > 0) && canonical(wanted) !== canonical(applied);
  const condition = conditionsFor(hfc.metadata?.generation);
  let conditions = previous.conditions;
  if (mismatch) {
    conditions = setCondition(
      conditions,
      condition(FIRMWARE_CONDITIONS.changeDetected, 'True', 'OK'),
    );
    const problem = updatesProblem(wanted);
    conditions = setCondition(
      conditions,
      problem
        ? condition(
            FIRMWARE_CONDITIONS.valid,
            'False',
            'InvalidComponent',
            `Invalid Firmware Components: ${problem}`,
          )
        : condition(FIRMWARE_CONDITIONS.valid, 'True', 'OK'),
    );
  } else {
    conditions = setCondition(conditions, condition(FIRMWARE_CONDITIONS.valid, 'True', 'OK'));
    conditions = setCondition(
      conditions,
      condition(FIRMWARE_CONDITIONS.changeDetected, 'False', 'OK'),
    );
  }
  return {
    ...(previous.updates ? { updates: previous.updates } : {}),
    components,
    conditions,
  };
}

/**
 * The updates to start (baremetal-operator's getHostFirmwareComponents + getUpdatesDifference):
 * none unless a valid change is detected for the current generation; then each update of the
 * spec that status.updates does not list with the same URL.
 */
export function componentUpdatesOf(hfc: HostFirmwareComponents | undefined): FirmwareUpdate[] {
  const status = hfc?.status;
  if (!hfc || !status) return [];
  const changed = findCondition(status.conditions, FIRMWARE_CONDITIONS.changeDetected);
  const valid = findCondition(status.conditions, FIRMWARE_CONDITIONS.valid);
  if (changed?.status !== 'True' || valid?.status !== 'True') return [];
  if (changed.observedGeneration !== hfc.metadata?.generation) return [];
  const applied = new Map((status.updates ?? []).map((u) => [u.component, u.url]));
  return (hfc.spec?.updates ?? []).filter((u) => applied.get(u.component) !== u.url);
}

/**
 * Makes the host's HostFirmwareComponents exist once the node has firmware components (created
 * with no updates and owned by the host, as Metal3 does at registration) and its status match
 * them. Returns the object, or undefined for a node without components.
 */
export async function syncFirmwareComponents(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow,
): Promise<HostFirmwareComponents | undefined> {
  const key = { namespace: host.metadata!.namespace!, name: host.metadata!.name! };
  const components = componentsOf(await firmwareComponentsOf(deps.commands.db, node.uuid));
  let hfc = await deps.kube.getObject<HostFirmwareComponents>(HOSTFIRMWARECOMPONENTS_PLURAL, key);
  if (!hfc) {
    if (components.length === 0) return undefined;
    hfc = await deps.kube.createObject<HostFirmwareComponents>(HOSTFIRMWARECOMPONENTS_PLURAL, {
      apiVersion: METAL3_API_VERSION,
      kind: HOSTFIRMWARECOMPONENTS_KIND,
      metadata: { ...key, ownerReferences: [ownedByHost(host)] },
      spec: { updates: [] },
    });
  } else if (!hfc.metadata?.ownerReferences?.some((o) => o.uid === host.metadata!.uid)) {
    hfc = await deps.kube.replaceObject(HOSTFIRMWARECOMPONENTS_PLURAL, {
      ...hfc,
      metadata: {
        ...hfc.metadata,
        ownerReferences: [...(hfc.metadata?.ownerReferences ?? []), ownedByHost(host)],
      },
    });
  }
  return writeComponentsStatus(deps, hfc, componentsStatusOf(hfc, components));
}

/**
 * Records the updates started (status.updates = spec.updates once a clean or servicing with them
 * is under way; undefined after it failed, so they are tried again), with fresh conditions.
 */
export async function recordComponentUpdates(
  deps: ReconcilerDeps,
  hfc: HostFirmwareComponents,
  updates: FirmwareUpdate[] | undefined,
): Promise<HostFirmwareComponents> {
  const status: HfcStatus = { ...hfc.status };
  if (updates) status.updates = updates;
  else delete status.updates;
  const withUpdates = { ...hfc, status };
  return writeComponentsStatus(
    deps,
    hfc,
    componentsStatusOf(withUpdates, hfc.status?.components ?? []),
  );
}

async function writeComponentsStatus(
  deps: ReconcilerDeps,
  hfc: HostFirmwareComponents,
  status: HfcStatus,
): Promise<HostFirmwareComponents> {
  if (canonical({ ...hfc.status, lastUpdated: undefined }) === canonical(status)) return hfc;
  return deps.kube.replaceObjectStatus(HOSTFIRMWARECOMPONENTS_PLURAL, {
    ...hfc,
    status: { ...status, lastUpdated: kubeNow() },
  });
}
