import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { loadYaml, type V1Secret } from '@kubernetes/client-node';
import type { Inventory } from '@ingot/contracts';
import { isDeleteAllowed } from '@ingot/lifecycle';
import {
  ANNOTATIONS,
  BAREMETALHOST_FINALIZER,
  type BareMetalHost,
  type BareMetalHostStatus,
  type ErrorType,
  type ProvisioningState,
} from '@ingot/metal3';
import {
  createNode,
  createPort,
  deleteNode,
  normalizeMac,
  NodeCommandError,
  requestPower,
  requestProvision,
  updateNode,
  type CommandDeps,
  type NodePatch,
} from '@ingot/node-commands';
import { findNode, nodeInventory, ports, type NodeRow } from '@ingot/store';
import type { Logger } from '@ingot/telemetry';
import {
  BmcAddressError,
  checkLoopbackBmc,
  parseBmcAddress,
  type BmcAccess,
} from './bmc-address.js';
import { decide, hostRecordOf, type Decision, type Desired } from './decide.js';
import { hardwareDetailsOf } from './hardware-details.js';
import { inspectRequest, parseStructured, rebootRequest, secretText } from './host-inputs.js';
import { nodeNameOf, type HostKey } from './host-key.js';
import { statusChanged, statusFor, transitionEvent } from './host-status.js';
import { bootModeOf, imageProblem, instanceInfoOf, rootDeviceOf } from './instance.js';
import { statusOf, type Kube } from './kube.js';

export interface ReconcilerDeps {
  commands: CommandDeps;
  kube: Kube;
  logger: Logger;
  /** INGOT_K8S_LOOPBACK_BMC_ONLY: refuse BMCs outside 127.0.0.0/8. */
  loopbackBmcOnly: boolean;
  /** First delay before a failed operation is retried; doubles with each error. */
  retryBaseMs: number;
  /** Records a Kubernetes Event on the host. */
  recordEvent(
    host: BareMetalHost,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void>;
}

/** What a reconcile asks of the queue: run again after this long (undefined: on the next change). */
export interface Outcome {
  requeueAfterMs?: number;
}

/** A quick retry: a node busy with a conductor, or an object that moved under us. */
const SOON_MS = 2_000;
/** While an operation runs, look again even if no event comes (a lost event must not stall us). */
const IN_PROGRESS_MS = 30_000;
const MAX_RETRY_MS = 10 * 60_000;

/** A reason the host cannot be served as it is: shown in status with its Metal3 error type. */
class HostProblem extends Error {
  constructor(
    readonly type: ErrorType,
    readonly state: ProvisioningState,
    message: string,
  ) {
    super(message);
  }
}

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
    const desired: Desired = {
      deleting,
      externallyProvisioned: Boolean(host.spec.externallyProvisioned),
      hasImage: Boolean(host.spec.image?.url),
      online: host.spec.online,
      inspectDisabled: inspect.disabled,
      reinspect: inspect.again,
      rebootMode: reboot?.mode,
      credentialsVersion: bmc?.credentialsVersion ?? hostRecordOf(node).credentialsVersion ?? '',
    };
    const decision = decide(desired, node, inspected !== undefined);
    const outcome = await act(deps, host, node, decision, desired);
    if (outcome === 'node deleted') return removeFinalizer(deps, host);
    const hardware = inspected ? hardwareDetailsOf(inspected, host.spec.bootMACAddress) : undefined;
    await writeStatus(deps, host, node, decision, { hardware });
    if (
      hardware &&
      statusChanged(
        { ...host.status!, hardware: host.status?.hardware } as BareMetalHostStatus,
        { ...host.status!, hardware } as BareMetalHostStatus,
      )
    )
      await deps.kube.putHardwareData(host, hardware);
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

/** The host's BMC access and credentials, or a registration problem naming what to fix. */
async function bmcOf(
  deps: ReconcilerDeps,
  host: BareMetalHost,
): Promise<BmcAccess & { username: string; password: string; credentialsVersion: string }> {
  const ns = host.metadata!.namespace!;
  const spec = host.spec!;
  const fail = (message: string) => new HostProblem('registration error', 'registering', message);
  if (!spec.bmc?.address) throw fail('spec.bmc.address is empty: set the address of the BMC');
  let access: BmcAccess;
  try {
    access = parseBmcAddress(spec.bmc.address, spec.bmc.disableCertificateVerification);
    checkLoopbackBmc(access, deps.loopbackBmcOnly);
  } catch (error) {
    if (error instanceof BmcAddressError) throw fail(error.message);
    throw error;
  }
  if (!spec.bmc.credentialsName)
    throw fail(
      'spec.bmc.credentialsName is empty: name the Secret with the BMC username and password',
    );
  const secret = await deps.kube.getSecret(ns, spec.bmc.credentialsName);
  if (!secret)
    throw fail(
      `Secret ${ns}/${spec.bmc.credentialsName} (spec.bmc.credentialsName) does not exist`,
    );
  const username = secretText(secret, 'username');
  const password = secretText(secret, 'password');
  if (!username || !password)
    throw fail(`Secret ${ns}/${spec.bmc.credentialsName} needs both 'username' and 'password'`);
  return {
    ...access,
    username,
    password,
    credentialsVersion: secret.metadata?.resourceVersion ?? '',
  };
}

function driverInfoOf(bmc: BmcAccess & { username: string; password: string }) {
  const prefix = bmc.driver === 'ipmi' ? 'ipmi' : 'redfish';
  return {
    ...bmc.driverInfo,
    [`${prefix}_username`]: bmc.username,
    [`${prefix}_password`]: bmc.password,
  };
}

/** Enrolls the host's node (named `<namespace>~<name>`) and its boot port. */
async function enroll(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  bmc: Awaited<ReturnType<typeof bmcOf>>,
): Promise<NodeRow> {
  const meta = host.metadata!;
  const spec = host.spec!;
  const node = await createNode(deps.commands, {
    name: nodeNameOf({ namespace: meta.namespace!, name: meta.name! }),
    driver: bmc.driver,
    driver_info: driverInfoOf(bmc),
    boot_interface: bmc.bootInterface,
    boot_mode: bootModeOf(spec.bootMode),
    ...(spec.description ? { description: spec.description } : {}),
    extra: {
      metal3: {
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        credentialsVersion: bmc.credentialsVersion,
      },
    },
  } as Parameters<typeof createNode>[1]);
  await ensurePort(deps, host, node);
  deps.logger.info(
    { node_uuid: node.uuid, host: `${meta.namespace}/${meta.name}` },
    'enrolled the node of a BareMetalHost',
  );
  return node;
}

/** bootMACAddress becomes a PXE port of the node (a MAC another node has is a registration error). */
async function ensurePort(deps: ReconcilerDeps, host: BareMetalHost, node: NodeRow): Promise<void> {
  const mac = host.spec!.bootMACAddress;
  if (!mac) return;
  const address = normalizeMac(mac);
  const existing = await deps.commands.db
    .select({ node: ports.nodeUuid })
    .from(ports)
    .where(eq(ports.address, address));
  if (existing.some((p) => p.node === node.uuid)) return;
  if (existing.length > 0)
    throw new HostProblem(
      'registration error',
      'registering',
      `bootMACAddress ${address} belongs to another node (${existing[0]!.node}): two hosts cannot share a boot NIC`,
    );
  await createPort(deps.commands, {
    uuid: randomUUID(),
    nodeUuid: node.uuid,
    address,
    pxeEnabled: true,
  });
}

/**
 * A changed Secret or bmc.address goes to the node's driver_info (and re-registers it when the
 * last registration failed). Returns the node as it is now, or 'busy' when a conductor holds it.
 */
async function syncBmc(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow,
  bmc: Awaited<ReturnType<typeof bmcOf>>,
): Promise<NodeRow | 'busy'> {
  const record = hostRecordOf(node);
  const wanted = driverInfoOf(bmc);
  const addressKey = bmc.driver === 'ipmi' ? 'ipmi_address' : 'redfish_address';
  const sameAddress =
    Object.entries(bmc.driverInfo).every(([k, v]) => node.driverInfo[k] === v) &&
    node.driverInfo[addressKey] !== undefined;
  if (node.driver !== bmc.driver)
    throw new HostProblem(
      'registration error',
      'registering',
      `spec.bmc.address changed from driver '${node.driver}' to '${bmc.driver}': delete and re-create the BareMetalHost to change the BMC type`,
    );
  if (record.credentialsVersion === bmc.credentialsVersion && sameAddress) return node;
  if (node.leaseOwner && node.leaseExpiresAt && node.leaseExpiresAt > new Date()) return 'busy';
  const patch: NodePatch = [
    { op: 'replace', path: '/driver_info', value: wanted },
    {
      op: 'add',
      path: '/extra/metal3',
      value: { ...record, credentialsVersion: bmc.credentialsVersion },
    },
  ];
  deps.logger.info(
    { node_uuid: node.uuid },
    'BMC address or credentials changed: updating the node',
  );
  return updateNode(deps.commands, node, patch);
}

async function inventoryOf(deps: ReconcilerDeps, node: NodeRow): Promise<Inventory | undefined> {
  const [row] = await deps.commands.db
    .select({ inventory: nodeInventory.inventory })
    .from(nodeInventory)
    .where(eq(nodeInventory.nodeUuid, node.uuid))
    .limit(1);
  return row?.inventory as Inventory | undefined;
}

/** Takes the decision's step. */
async function act(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow,
  decision: Decision,
  desired: Desired,
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
    case 'retry-later': {
      const count = host.status?.errorCount ?? 1;
      const delay = Math.min(deps.retryBaseMs * 2 ** Math.max(0, count - 1), MAX_RETRY_MS);
      const since = host.status?.lastUpdated
        ? Date.now() - Date.parse(host.status.lastUpdated)
        : delay;
      if (since < delay) return { requeueAfterMs: delay - since };
      if (step.verb === 'active') {
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
  const wanted = { ...node.instanceInfo, ...instanceInfoOf(spec.image!) };
  delete wanted.configdrive;
  const rootDevice = rootDeviceOf(spec.rootDeviceHints);
  const patch: NodePatch = [
    { op: 'replace', path: '/instance_info', value: wanted },
    { op: 'replace', path: '/boot_mode', value: bootModeOf(spec.bootMode) },
    rootDevice
      ? { op: 'add', path: '/properties/root_device', value: rootDevice }
      : {
          op: 'replace',
          path: '/properties',
          value: { ...node.properties, root_device: undefined },
        },
  ];
  return updateNode(deps.commands, node, JSON.parse(JSON.stringify(patch)) as NodePatch);
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

/** The config drive of userData, networkData and metaData Secrets (Metal3's keys). */
async function configDriveOf(
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

/** Writes the derived status when it differs, through the status subresource; 409 retries. */
async function writeStatus(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow | undefined,
  decision: Pick<Decision, 'state' | 'error'>,
  extras: Parameters<typeof statusFor>[3] = {},
): Promise<void> {
  let current = host;
  for (let attempt = 1; ; attempt++) {
    const status = statusFor(current, node, decision, extras);
    if (!statusChanged(current.status, status)) return;
    status.lastUpdated = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    try {
      await deps.kube.replaceHostStatus({ ...current, status });
      const event = transitionEvent(current.status?.provisioning?.state, status.provisioning.state);
      if (event) await deps.recordEvent(current, 'Normal', event.reason, event.message);
      if (status.errorMessage && status.errorMessage !== current.status?.errorMessage)
        await deps.recordEvent(
          current,
          'Warning',
          errorReason(status.errorType),
          status.errorMessage,
        );
      return;
    } catch (error) {
      if (statusOf(error) !== 409 || attempt >= 5) throw error;
      const fresh = await deps.kube.getHost({
        namespace: host.metadata!.namespace!,
        name: host.metadata!.name!,
      });
      if (!fresh) return;
      current = fresh;
    }
  }
}

const errorReason = (type: string | undefined) =>
  ({
    'registration error': 'RegistrationError',
    'inspection error': 'InspectionError',
    'provisioning error': 'ProvisioningError',
    'preparation error': 'PreparationError',
    'power management error': 'PowerManagementError',
    'provisioned registration error': 'ProvisionedRegistrationError',
  })[type ?? ''] ?? 'Error';

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
