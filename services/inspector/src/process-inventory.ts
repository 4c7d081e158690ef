import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, ne } from 'drizzle-orm';
import jsonPatch from 'fast-json-patch';
import type { InspectionProcessCommand, Inventory } from '@ingot/contracts';
import { traceHeaders, type Subjects } from '@ingot/bus';
import { chooseRootDevice, validateInventory } from '@ingot/inventory';
import { applyRules } from '@ingot/rules';
import {
  enqueueOutbox,
  inspectionRules,
  markHandled,
  nodeInventory,
  nodes,
  ports,
  type Db,
  resealDriverInfo,
  type NodeRow,
  type SecretBox,
  type Tx,
} from '@ingot/store';
import type { AddPorts } from './ports.js';
import { portsFromInventory } from './ports.js';
import { propertiesFromInventory } from './properties.js';

const INSPECTOR_INBOX = 'inspector';
const INSPECTING = new Set(['inspect wait', 'inspecting']);

/**
 * Turns an agent's inventory into node facts, in one transaction with the conductor's notice:
 * properties (cpus, memory_mb, local_gb, cpu_arch), ports from the NICs, the stored inventory,
 * the inspection rules' changes, and `node.inspection_result` for the conductor. Any problem
 * becomes a failed result whose message is the node's last_error.
 */
export async function processInventory(
  db: Db,
  subjects: Subjects,
  cmd: InspectionProcessCommand,
  opts: { addPorts: AddPorts; secrets: SecretBox },
): Promise<void> {
  await db.transaction(async (tx) => {
    if (!(await markHandled(tx, INSPECTOR_INBOX, cmd.id))) return;
    const [node] = await tx.select().from(nodes).where(eq(nodes.uuid, cmd.node_uuid)).for('update');
    if (!node || !INSPECTING.has(node.provisionState)) return;
    const failure = await inspect(tx, node, cmd, opts);
    await enqueueOutbox(tx, [resultFor(subjects, node, cmd, failure)]);
  });
}

/**
 * The inventory could not be processed even after its last delivery (e.g. a bug, or the database
 * kept failing): the conductor is told, so the node fails with the reason instead of waiting out
 * its deadline.
 */
export async function reportUnprocessable(
  db: Db,
  subjects: Subjects,
  cmd: InspectionProcessCommand,
  reason: string,
) {
  await db.transaction(async (tx) => {
    if (!(await markHandled(tx, INSPECTOR_INBOX, cmd.id))) return;
    const [node] = await tx.select().from(nodes).where(eq(nodes.uuid, cmd.node_uuid));
    if (!node || !INSPECTING.has(node.provisionState)) return;
    await enqueueOutbox(tx, [
      resultFor(subjects, node, cmd, `The inspector could not process the inventory: ${reason}`),
    ]);
  });
}

/** Applies the inspection; returns why it failed, or undefined. */
async function inspect(
  tx: Tx,
  node: NodeRow,
  cmd: InspectionProcessCommand,
  opts: { addPorts: AddPorts; secrets: SecretBox },
): Promise<string | undefined> {
  const valid = validateInventory(cmd.payload.inventory);
  if (!valid.ok) return valid.message;
  const inventory: Inventory = valid.inventory;
  const pluginData = cmd.payload.plugin_data;

  const hints = node.properties.root_device as Record<string, unknown> | undefined;
  const root = chooseRootDevice(inventory.disks, hints);
  if (!root.ok) return `Inspection could not choose a root device: ${root.message}`;

  const inspectedPorts = portsFromInventory(inventory, {
    addPorts: opts.addPorts,
    pxeMac: typeof pluginData.boot_interface === 'string' ? pluginData.boot_interface : undefined,
    lldpRaw: pluginData.lldp_raw as never,
  });
  const addresses = inspectedPorts.map((p) => p.address);
  if (addresses.length > 0) {
    const taken = await tx
      .select({ address: ports.address, nodeUuid: ports.nodeUuid })
      .from(ports)
      .where(and(inArray(ports.address, addresses), ne(ports.nodeUuid, node.uuid)));
    if (taken[0])
      return `MAC address ${taken[0].address} is already a port of node ${taken[0].nodeUuid}`;
  }

  const properties = { ...node.properties, ...propertiesFromInventory(inventory, root.disk) };
  const rules = await tx
    .select()
    .from(inspectionRules)
    .orderBy(desc(inspectionRules.priority), asc(inspectionRules.createdAt));
  const outcome = applyRules(
    rules.map((r) => ({
      uuid: r.uuid,
      description: r.description,
      priority: r.priority,
      sensitive: r.sensitive,
      phase: r.phase,
      conditions: r.conditions,
      actions: r.actions,
    })),
    {
      node: ruleView(node, properties),
      inventory: inventory as unknown as Record<string, unknown>,
      pluginData,
    },
  );
  if (outcome.failed) return `Inspection rules failed the node: ${outcome.failed}`;
  const patched = jsonPatch.applyPatch(
    ruleView(node, properties),
    outcome.patch as jsonPatch.Operation[],
    true,
    false,
  ).newDocument;
  const traits = [...new Set([...node.traits, ...outcome.traits.add])].filter(
    (t) => !outcome.traits.remove.includes(t),
  );

  await tx
    .update(nodes)
    .set({
      properties: patched.properties as Record<string, unknown>,
      extra: patched.extra as Record<string, unknown>,
      instanceInfo: patched.instance_info as Record<string, unknown>,
      // A sensitive rule may set BMC credentials: sealed like the API seals them.
      ...resealDriverInfo(opts.secrets, node, patched.driver_info as Record<string, unknown>),
      name: patched.name as string | null,
      description: patched.description as string | null,
      resourceClass: patched.resource_class as string | null,
      owner: patched.owner as string | null,
      lessee: patched.lessee as string | null,
      traits,
      updatedAt: new Date(),
    })
    .where(eq(nodes.uuid, node.uuid));
  for (const port of inspectedPorts) {
    const link = { ...port.local_link_connection } as Record<string, unknown>;
    await tx
      .insert(ports)
      .values({
        uuid: randomUUID(),
        nodeUuid: node.uuid,
        address: port.address,
        pxeEnabled: port.pxe_enabled,
        localLinkConnection: link,
      })
      .onConflictDoUpdate({
        target: ports.address,
        set: { pxeEnabled: port.pxe_enabled, localLinkConnection: link, updatedAt: new Date() },
      });
  }
  await tx
    .insert(nodeInventory)
    .values({
      nodeUuid: node.uuid,
      inventory: inventory as unknown as Record<string, unknown>,
      pluginData: outcome.pluginData,
    })
    .onConflictDoUpdate({
      target: nodeInventory.nodeUuid,
      set: {
        inventory: inventory as unknown as Record<string, unknown>,
        pluginData: outcome.pluginData,
        createdAt: new Date(),
      },
    });
  return undefined;
}

/** The node as inspection rules see it; they may change only the fields written back above. */
function ruleView(node: NodeRow, properties: Record<string, unknown>) {
  return {
    properties,
    extra: node.extra,
    instance_info: node.instanceInfo,
    driver_info: node.driverInfo,
    name: node.name,
    description: node.description,
    resource_class: node.resourceClass,
    owner: node.owner,
    lessee: node.lessee,
    driver: node.driver,
    traits: node.traits,
  };
}

function resultFor(
  subjects: Subjects,
  node: NodeRow,
  cmd: InspectionProcessCommand,
  failure: string | undefined,
) {
  const id = randomUUID();
  return {
    id,
    subject: subjects.conductor(node.conductorGroup),
    headers: traceHeaders(),
    payload: {
      id,
      type: 'node.inspection_result',
      site: node.conductorGroup,
      node_uuid: node.uuid,
      request_id: cmd.request_id,
      issued_at: new Date().toISOString(),
      payload: failure ? { ok: false, message: failure } : { ok: true },
    },
  };
}
