import { eq } from 'drizzle-orm';
import type { Inventory } from '@ingot/contracts';
import { isDeleteAllowed } from '@ingot/lifecycle';
import {
  ANNOTATIONS,
  BAREMETALHOST_FINALIZER,
  type BareMetalHost,
  type BareMetalHostStatus,
  type ProvisioningState,
} from '@ingot/metal3';
import {
  deleteNode,
  NodeCommandError,
  requestPower,
  requestProvision,
  updateNode,
  type NodePatch,
} from '@ingot/node-commands';
import { findNode, nodeInventory, type NodeRow } from '@ingot/store';
import { configDriveOf } from './config-drive.js';
import { decide, hostRecordOf, type Decision, type Desired } from './decide.js';
import { hardwareDetailsOf } from './hardware-details.js';
import {
  forgetUpdatesStarted,
  hostWorkOf,
  startPreparation,
  startServicing,
  type HostWork,
} from './host-firmware.js';
import { inspectRequest, rebootRequest } from './host-inputs.js';
import { nodeNameOf, type HostKey } from './host-key.js';
import { canonical } from './host-status.js';
import { bootModeOf, imageProblem, instanceInfoOf, rootDeviceOf } from './instance.js';
import { statusOf } from './kube.js';
import { planNeeded, type PreparedRecord } from './preparation.js';
import {
  HostProblem,
  IN_PROGRESS_MS,
  MAX_RETRY_MS,
  SOON_MS,
  type Outcome,
  type ReconcilerDeps,
} from './reconcile-context.js';
import { bmcOf, enroll, ensurePort, syncBmc } from './registration.js';
import { writeStatus } from './status-writer.js';

export type { Outcome, ReconcilerDeps } from './reconcile-context.js';

/**
 * One reconcile of one BareMetalHost (controller-runtime's shape): read the host and its node, take
 * one step toward what the host asks for, write the status if it changed, return. PostgreSQL holds
 * every fact about the server; the host's status is derived from it each time.
 */
export async function reconcileHost(deps: ReconcilerDeps, key: HostKey): Promise<Outcome> {
  const host = await deps.kube.getHost(key);
  if (!host?.metadata || !host.spec) return {};
  const meta = host.metadata;
  const annotations = meta.annotations ?? {};
  // A host moved by clusterctl arrives paused with its status in an annotation: the status is
  // restored even while paused (it acts on nothing), so the host resumes where it was.
  if (!host.status && annotations[ANNOTATIONS.status]) return restoreStatus(deps, host);
  // Paused: not reconciled at all, not even the status (clusterctl move, CAPM3).
  if (ANNOTATIONS.paused in annotations) return {};

  const deleting = Boolean(meta.deletionTimestamp);
  const finalizers = meta.finalizers ?? [];
  if (!deleting && !finalizers.includes(BAREMETALHOST_FINALIZER)) {
    await deps.kube.replaceHost({
      ...host,
      metadata: { ...meta, finalizers: [...finalizers, BAREMETALHOST_FINALIZER] },
    });
    return { requeueAfterMs: 0 };
  }
  if (deleting && !finalizers.includes(BAREMETALHOST_FINALIZER)) return {};

  let node = await findNode(deps.commands.db, nodeNameOf(key));
  if (deleting && !node) return removeFinalizer(deps, host);
  if (!deleting && ANNOTATIONS.detached in annotations) {
    // Detached: kept, never acted on; the status says so.
    await writeStatus(
      deps,
      host,
      node,
      { state: (host.status?.provisioning?.state as ProvisioningState) ?? 'unmanaged' },
      { detached: true },
    );
    return {};
  }

  try {
    const bmc = deleting && node ? undefined : await bmcOf(deps, host);
    if (!node) {
      node = await enroll(deps, host, bmc!);
      await writeStatus(deps, host, node, { state: 'registering' });
      return { requeueAfterMs: 0 };
    }
    if (bmc) {
      const synced = await syncBmc(deps, host, node, bmc);
      if (synced === 'busy') return { requeueAfterMs: SOON_MS };
      node = synced;
      await ensurePort(deps, host, node);
    }
    const inspected = await inventoryOf(deps, node);
    const reboot = rebootRequest(annotations);
    if (
      reboot?.keys.includes(ANNOTATIONS.rebootPrefix) &&
      node.powerState === 'power off' &&
      !node.targetPowerState
    ) {
      // The one-shot reboot annotation has done its part (the server is off): remove it, so the
      // next reconcile powers the server back on.
      const rest = { ...annotations };
      delete rest[ANNOTATIONS.rebootPrefix];
      await deps.kube.replaceHost({ ...host, metadata: { ...meta, annotations: rest } });
      return { requeueAfterMs: 0 };
    }
    const inspect = inspectRequest(host);
    const work = deleting ? undefined : await hostWorkOf(deps, host, node);
    const desired: Desired = {
      deleting,
      externallyProvisioned: Boolean(host.spec.externallyProvisioned),
      hasImage: Boolean(host.spec.image?.url),
      online: host.spec.online,
      inspectDisabled: inspect.disabled,
      reinspect: inspect.again,
      rebootMode: reboot?.mode,
      credentialsVersion: bmc?.credentialsVersion ?? hostRecordOf(node).credentialsVersion ?? '',
      prepare: work?.preparation ? planNeeded(work.preparation) : false,
      ...(work?.problem ? { prepareProblem: work.problem } : {}),
      service: (work?.servicing.steps.length ?? 0) > 0,
    };
    const decision = decide(desired, node, inspected !== undefined);
    const outcome = await act(deps, host, node, decision, desired, work);
    if (outcome === 'node deleted') return removeFinalizer(deps, host);
    const prepared = await preparedAfter(deps, node, decision, work);
    const hardware = inspected ? hardwareDetailsOf(inspected, host.spec.bootMACAddress) : undefined;
    // HardwareData first: a status that shows the hardware implies its HardwareData exists, and a
    // failed write is retried because the status still lacks the new hardware.
    if (hardware && canonical(hardware) !== canonical(host.status?.hardware))
      await deps.kube.putHardwareData(host, hardware);
    await writeStatus(deps, host, node, decision, { hardware, ...(prepared ? { prepared } : {}) });
    return outcome;
  } catch (error) {
    if (error instanceof HostProblem) {
      await writeStatus(deps, host, node, {
        state: error.state,
        error: { type: error.type, message: error.message },
      });
      return {};
    }
    if (error instanceof NodeCommandError && error.statusCode === 409)
      return { requeueAfterMs: SOON_MS };
    if (statusOf(error) === 409) return { requeueAfterMs: 0 };
    throw error;
  }
}

async function inventoryOf(deps: ReconcilerDeps, node: NodeRow): Promise<Inventory | undefined> {
  const [row] = await deps.commands.db
    .select({ inventory: nodeInventory.inventory })
    .from(nodeInventory)
    .where(eq(nodeInventory.nodeUuid, node.uuid))
    .limit(1);
  return row?.inventory as Inventory | undefined;
}

/**
 * What status.provisioning.raid/firmware record after this reconcile: the preparation's once it
 * started; nothing once it failed (so it runs again, as baremetal-operator clears them); undefined
 * to keep them. A failed clean or servicing also forgets the firmware updates it started.
 */
async function preparedAfter(
  deps: ReconcilerDeps,
  node: NodeRow,
  decision: Decision,
  work: HostWork | undefined,
): Promise<PreparedRecord | undefined> {
  if (decision.step.kind === 'prepare') return work?.preparation?.record;
  const failed =
    (decision.error?.type === 'preparation error' && node.provisionState === 'clean failed') ||
    (decision.error?.type === 'servicing error' && node.provisionState === 'service failed');
  if (!failed || !work) return undefined;
  await forgetUpdatesStarted(deps, work);
  return decision.error?.type === 'preparation error' ? {} : undefined;
}

/** Takes the decision's step. */
async function act(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow,
  decision: Decision,
  desired: Desired,
  work: HostWork | undefined,
): Promise<Outcome | 'node deleted'> {
  const step = decision.step;
  const requestId = `k8s-${host.metadata!.uid}`;
  switch (step.kind) {
    case 'wait':
      return node.targetProvisionState || node.targetPowerState
        ? { requeueAfterMs: IN_PROGRESS_MS }
        : {};
    case 'verb': {
      if (step.verb === 'manage' && node.provisionState === 'enroll') {
        // Remember which credentials this registration tries (status.triedCredentials).
        node = await updateNode(deps.commands, node, [
          {
            op: 'add',
            path: '/extra/metal3',
            value: { ...hostRecordOf(node), registeredVersion: desired.credentialsVersion },
          },
        ]);
      }
      if (step.verb === 'adopt') node = await prepareAdoption(deps, host, node);
      await requestProvision(deps.commands, node, step.verb, requestId);
      if (step.verb === 'inspect' && desired.reinspect)
        await clearAnnotation(deps, host, ANNOTATIONS.inspect);
      return { requeueAfterMs: IN_PROGRESS_MS };
    }
    case 'deploy': {
      const problem = imageProblem(host.spec!.image!);
      if (problem) throw new HostProblem('provisioning error', 'provisioning', problem);
      node = await prepareDeploy(deps, host, node);
      await requestProvision(deps.commands, node, 'active', requestId, {
        configDrive: await configDriveOf(deps, host),
      });
      return { requeueAfterMs: IN_PROGRESS_MS };
    }
    case 'prepare':
      await startPreparation(deps, node, work!.preparation!, work!, requestId);
      return { requeueAfterMs: IN_PROGRESS_MS };
    case 'service':
      await startServicing(deps, node, work!.servicing, work!, requestId);
      return { requeueAfterMs: IN_PROGRESS_MS };
    case 'retry-later': {
      const count = host.status?.errorCount ?? 1;
      const delay = Math.min(deps.retryBaseMs * 2 ** Math.max(0, count - 1), MAX_RETRY_MS);
      const since = host.status?.lastUpdated
        ? Date.now() - Date.parse(host.status.lastUpdated)
        : delay;
      if (since < delay) return { requeueAfterMs: delay - since };
      if (step.verb === 'service') {
        await startServicing(deps, node, work!.servicing, work!, requestId);
      } else if (step.verb === 'active') {
        node = await prepareDeploy(deps, host, node);
        await requestProvision(deps.commands, node, 'active', requestId, {
          configDrive: await configDriveOf(deps, host),
        });
      } else {
        await requestProvision(deps.commands, node, step.verb, requestId);
      }
      return { requeueAfterMs: IN_PROGRESS_MS };
    }
    case 'power':
      await requestPower(deps.commands, node, { target: step.target }, requestId);
      return { requeueAfterMs: IN_PROGRESS_MS };
    case 'delete-node':
      if (!isDeleteAllowed(node.provisionState, node.maintenance))
        node = await updateNode(deps.commands, node, [
          { op: 'replace', path: '/maintenance', value: true },
        ]);
      await deleteNode(deps.commands, node);
      deps.logger.info({ node_uuid: node.uuid }, 'deleted the node of a deleted BareMetalHost');
      return 'node deleted';
  }
}

/** instance_info, root device hints and boot mode of the host's spec, on the node before a deploy. */
async function prepareDeploy(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow,
): Promise<NodeRow> {
  const spec = host.spec!;
  const wanted = { ...node.instanceInfo, ...instanceInfoOf(spec.image!, spec.bootMode) };
  delete wanted.configdrive;
  const rootDevice = rootDeviceOf(spec.rootDeviceHints);
  const patch: NodePatch = [
    { op: 'replace', path: '/instance_info', value: wanted },
    { op: 'replace', path: '/boot_mode', value: bootModeOf(spec.bootMode) },
  ];
  if (rootDevice) patch.push({ op: 'add', path: '/properties/root_device', value: rootDevice });
  // Without hints, a RAID root volume built while preparing is the root device (its
  // create_configuration pointed properties.root_device at it); otherwise there is none.
  else if (!hasRaidRootVolume(node))
    patch.push({
      op: 'replace',
      path: '/properties',
      value: { ...node.properties, root_device: undefined },
    });
  return updateNode(deps.commands, node, JSON.parse(JSON.stringify(patch)) as NodePatch);
}

/** Whether the node's RAID configuration (as built) has a root volume. */
function hasRaidRootVolume(node: NodeRow): boolean {
  const disks = (node.raidConfig as { logical_disks?: { is_root_volume?: boolean }[] } | null)
    ?.logical_disks;
  return Boolean(disks?.some((d) => d.is_root_volume));
}

/** Adoption needs instance_info.image_source: the host's image, or a name saying who provisioned it. */
async function prepareAdoption(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow,
): Promise<NodeRow> {
  const source = host.spec!.image?.url ?? 'metal3:externally-provisioned';
  if (node.instanceInfo.image_source === source) return node;
  return updateNode(deps.commands, node, [
    { op: 'add', path: '/instance_info/image_source', value: source },
  ]);
}

async function clearAnnotation(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  key: string,
): Promise<void> {
  const fresh = await deps.kube.getHost({
    namespace: host.metadata!.namespace!,
    name: host.metadata!.name!,
  });
  if (!fresh?.metadata?.annotations?.[key] && fresh?.metadata?.annotations?.[key] !== '') return;
  const rest = { ...fresh.metadata.annotations };
  delete rest[key];
  await deps.kube.replaceHost({ ...fresh, metadata: { ...fresh.metadata, annotations: rest } });
}

async function removeFinalizer(deps: ReconcilerDeps, host: BareMetalHost): Promise<Outcome> {
  const meta = host.metadata!;
  await deps.kube.replaceHost({
    ...host,
    metadata: {
      ...meta,
      finalizers: (meta.finalizers ?? []).filter((f) => f !== BAREMETALHOST_FINALIZER),
    },
  });
  return {};
}

/** `baremetalhost.metal3.io/status`: a moved host gets its status back, then loses the annotation. */
async function restoreStatus(deps: ReconcilerDeps, host: BareMetalHost): Promise<Outcome> {
  const text = host.metadata!.annotations![ANNOTATIONS.status]!;
  let status: BareMetalHostStatus;
  try {
    status = JSON.parse(text) as BareMetalHostStatus;
  } catch (error) {
    deps.logger.warn(
      { host: host.metadata!.name, err: String(error) },
      `ignoring ${ANNOTATIONS.status}: not JSON`,
    );
    status = undefined as never;
  }
  const written = status ? await deps.kube.replaceHostStatus({ ...host, status }) : host;
  const rest = { ...host.metadata!.annotations };
  delete rest[ANNOTATIONS.status];
  await deps.kube.replaceHost({ ...written, metadata: { ...written.metadata, annotations: rest } });
  return { requeueAfterMs: 0 };
}
