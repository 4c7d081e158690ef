import { randomUUID } from 'node:crypto';
import { MIN_ROOT_DEVICE_BYTES, wholeGiB } from '@ingot/inventory';
import { ports } from '@ingot/store';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode } from '../transition-node.js';
import { StepError } from './fail.js';

/**
 * `inspecting` with inspect_interface 'redfish' (Ironic's out-of-band inspection): the power worker
 * reads CPUs, memory, disks and NICs from the BMC; the node gets cpus, cpu_arch, memory_mb and
 * local_gb (the smallest disk of 4 GiB or more, less 1 GiB, as Ironic reports it) and a port per NIC. Nothing boots,
 * so there is no wait state and no deadline: the step either finishes or fails at once.
 */
export async function inspectOutOfBand(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const node = leased.node;
  const { inventory } = await ctx.bmc.call(node, 'bmc.inventory', {}, requestId);
  if (!inventory || inventory.cpus <= 0 || inventory.memory_mb <= 0) {
    throw new StepError(
      `The BMC of node ${node.uuid} did not report its ${!inventory || inventory.cpus <= 0 ? 'CPUs' : 'memory'}: out-of-band inspection cannot set the node's properties; use inspect_interface 'agent'`,
    );
  }
  // As Ironic's redfish inspection: the smallest disk of at least 4 GiB, the one a deploy would
  // choose without root device hints.
  const candidates = inventory.disks
    .map((d) => d.size_bytes)
    .filter((size) => size >= MIN_ROOT_DEVICE_BYTES);
  const rootSize = candidates.length > 0 ? Math.min(...candidates) : 0;
  const properties = {
    ...node.properties,
    cpus: inventory.cpus,
    memory_mb: inventory.memory_mb,
    ...(inventory.cpu_arch ? { cpu_arch: inventory.cpu_arch } : {}),
    ...(rootSize > 0 ? { local_gb: wholeGiB(rootSize) - 1 } : {}),
  };
  // Ironic's create_ports_if_not_exist: a MAC another port already has is left alone.
  const created = inventory.nics.length
    ? await ctx.db
        .insert(ports)
        .values(
          inventory.nics.map((nic) => ({
            uuid: randomUUID(),
            nodeUuid: node.uuid,
            address: nic.mac,
            pxeEnabled: true,
          })),
        )
        .onConflictDoNothing()
        .returning({ address: ports.address })
    : [];
  await transitionNode(ctx, leased, 'done', {
    note: `inspected out of band: ${inventory.cpus} CPUs, ${inventory.memory_mb} MiB, ${inventory.disks.length} disks, ${inventory.nics.length} NICs (${created.length} new ports)`,
    lastError: null,
    requestId,
    set: { properties },
  });
}
