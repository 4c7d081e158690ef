import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { BareMetalHost } from '@ingot/metal3';
import {
  createNode,
  createPort,
  normalizeMac,
  updateNode,
  type NodePatch,
} from '@ingot/node-commands';
import { ports, type NodeRow } from '@ingot/store';
import {
  BmcAddressError,
  checkLoopbackBmc,
  parseBmcAddress,
  type BmcAccess,
} from './bmc-address.js';
import { hostRecordOf } from './decide.js';
import { automatedCleanOfMode, secretText } from './host-inputs.js';
import { nodeNameOf } from './host-key.js';
import { bootModeOf, wantsSecureBoot } from './instance.js';
import { HostProblem, type ReconcilerDeps } from './reconcile-context.js';

export type BmcCredentials = Awaited<ReturnType<typeof bmcOf>>;

/** The host's BMC access and credentials, or a registration problem naming what to fix. */
export async function bmcOf(
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
  if (wantsSecureBoot(spec.bootMode) && access.driver === 'ipmi')
    // baremetal-operator refuses the same at registration (SupportsSecureBoot is false for IPMI).
    throw fail(
      `BMC driver ipmi does not support secure boot: spec.bootMode UEFISecureBoot needs a redfish:// or redfish-virtualmedia:// BMC address, or use bootMode UEFI`,
    );
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
export async function enroll(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  bmc: BmcCredentials,
): Promise<NodeRow> {
  const meta = host.metadata!;
  const spec = host.spec!;
  const node = await createNode(deps.commands, {
    name: nodeNameOf({ namespace: meta.namespace!, name: meta.name! }),
    driver: bmc.driver,
    driver_info: driverInfoOf(bmc),
    boot_interface: bmc.bootInterface,
    boot_mode: bootModeOf(spec.bootMode),
    automated_clean: automatedCleanOfMode(spec.automatedCleaningMode),
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
export async function ensurePort(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow,
): Promise<void> {
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
 * last registration failed); a changed automatedCleaningMode to its automated_clean. Returns the
 * node as it is now, or 'busy' when a conductor holds it.
 */
export async function syncBmc(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow,
  bmc: BmcCredentials,
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
  const bmcChanged = record.credentialsVersion !== bmc.credentialsVersion || !sameAddress;
  const automatedClean = automatedCleanOfMode(host.spec!.automatedCleaningMode);
  const cleaningChanged = node.automatedClean !== automatedClean;
  if (!bmcChanged && !cleaningChanged) return node;
  if (node.leaseOwner && node.leaseExpiresAt && node.leaseExpiresAt > new Date())
    // New credentials must wait for the node; automated_clean can, on a later reconcile.
    return bmcChanged ? 'busy' : node;
  const patch: NodePatch = [];
  if (bmcChanged) {
    patch.push({ op: 'replace', path: '/driver_info', value: wanted });
    patch.push({
      op: 'add',
      path: '/extra/metal3',
      value: { ...record, credentialsVersion: bmc.credentialsVersion },
    });
    deps.logger.info(
      { node_uuid: node.uuid },
      'BMC address or credentials changed: updating the node',
    );
  }
  if (cleaningChanged) {
    patch.push({ op: 'add', path: '/automated_clean', value: automatedClean });
    deps.logger.info(
      { node_uuid: node.uuid, automated_clean: automatedClean },
      'automatedCleaningMode changed: updating the node',
    );
  }
  return updateNode(deps.commands, node, patch);
}
