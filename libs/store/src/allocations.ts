import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from './db.js';
import type { NodeRow } from './leases.js';
import { allocations, nodes } from './schema.js';

export type AllocationRow = typeof allocations.$inferSelect;

/** What an allocation asks for (Ironic's allocation fields), candidate nodes as UUIDs. */
export interface AllocationRequest {
  uuid: string;
  name: string | null;
  resourceClass: string;
  traits: string[];
  candidateNodes: string[];
  extra: Record<string, unknown>;
  owner: string | null;
}

/**
 * Creates an allocation and fills it in one transaction, as Ironic's conductor does in
 * do_allocate: one node that is `available`, powered (known power state), not in maintenance,
 * without instance, of the resource class, with all the traits, among the candidates and of the
 * owner (as owner or lessee) if given; a node named as the allocation first, else one at random.
 * The node gets allocation_uuid and instance_uuid (in instance_info, where Ingot keeps it) = the
 * allocation's UUID, and the allocation becomes `active`; with no such node it is `error` with
 * Ironic's reason. Safe under concurrency across API replicas: each transaction locks the node it
 * takes (FOR UPDATE SKIP LOCKED, so concurrent allocations spread over the free nodes, then
 * FOR UPDATE, which waits for the others and re-checks the node), so a node is never given twice.
 * A unique violation (UUID or name taken) is thrown as the database raised it.
 */
export async function createAllocation(db: Db, request: AllocationRequest): Promise<AllocationRow> {
  return db.transaction(async (tx) => {
    await tx.insert(allocations).values({
      uuid: request.uuid,
      name: request.name,
      resourceClass: request.resourceClass,
      traits: request.traits,
      candidateNodes: request.candidateNodes,
      extra: request.extra,
      owner: request.owner,
      state: 'allocating',
    });
    const node = (await pickNode(tx, request, true)) ?? (await pickNode(tx, request, false));
    if (node) {
      await tx
        .update(nodes)
        .set({
          allocationUuid: request.uuid,
          instanceInfo: sql`jsonb_set(${nodes.instanceInfo}, '{instance_uuid}', to_jsonb(${request.uuid}::text))`,
          updatedAt: new Date(),
        })
        .where(eq(nodes.uuid, node));
    }
    const reason = node ? null : await whyNoNode(tx, request);
    const [row] = await tx
      .update(allocations)
      .set(
        node
          ? { nodeUuid: node, state: 'active', updatedAt: new Date() }
          : {
              state: 'error',
              lastError: `Failed to process allocation ${request.uuid}: ${reason}.`,
              updatedAt: new Date(),
            },
      )
      .where(eq(allocations.uuid, request.uuid))
      .returning();
    return row!;
  });
}

/** The conditions of Ironic's _candidate_nodes, traits aside. */
function candidateFilters(request: AllocationRequest): SQL[] {
  const where = [
    sql`${nodes.provisionState} = 'available'`,
    sql`not ${nodes.maintenance}`,
    sql`${nodes.powerState} is not null`,
    sql`(${nodes.instanceInfo} ->> 'instance_uuid') is null`,
    sql`${nodes.allocationUuid} is null`,
    eq(nodes.resourceClass, request.resourceClass),
  ];
  if (request.candidateNodes.length > 0) where.push(inArray(nodes.uuid, request.candidateNodes));
  if (request.owner !== null)
    where.push(sql`(${nodes.owner} = ${request.owner} or ${nodes.lessee} = ${request.owner})`);
  return where;
}

const hasTraits = (traits: string[]) => sql`${nodes.traits} @> ${JSON.stringify(traits)}::jsonb`;

/**
 * One free matching node, locked for this transaction; undefined when none is left. The first
 * pass skips locked rows and picks at random, as Ironic does, so concurrent allocations spread.
 * The second waits for locked rows, in one order for every transaction: a row whose lock it
 * waited for and that no longer matches stays locked by it, so waiters taking rows in random
 * orders could each hold what the other waits for (a deadlock, seen with ten at once).
 */
async function pickNode(
  tx: Tx,
  request: AllocationRequest,
  skipLocked: boolean,
): Promise<string | undefined> {
  const [row] = await tx
    .select({ uuid: nodes.uuid })
    .from(nodes)
    .where(and(...candidateFilters(request), hasTraits(request.traits)))
    .orderBy(
      sql`(${nodes.name} is not distinct from ${request.name}) desc`,
      skipLocked ? sql`random()` : nodes.uuid,
    )
    .limit(1)
    .for('update', skipLocked ? { skipLocked: true } : {});
  return row?.uuid;
}

/** Ironic's reasons for an allocation without node, in the order its conductor finds them. */
async function whyNoNode(tx: Tx, request: AllocationRequest): Promise<string> {
  const count = async (where: SQL[]) =>
    (
      await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(nodes)
        .where(and(...where))
    )[0]!.n;
  const base = candidateFilters(request);
  if ((await count(base)) === 0) {
    return request.candidateNodes.length > 0
      ? `none of the requested nodes are available and match the resource class ${request.resourceClass}`
      : `no available nodes match the resource class ${request.resourceClass}`;
  }
  if (request.traits.length > 0 && (await count([...base, hasTraits(request.traits)])) === 0)
    return `no suitable nodes have the requested traits ${request.traits.join(', ')}`;
  return 'all nodes were filtered out during reservation';
}

/**
 * Deletes an allocation and frees its node (allocation_uuid and instance_uuid cleared), as
 * Ironic's destroy_allocation, in one transaction holding both rows. `check` sees the node first
 * and throws to refuse (Ironic's verify_node_for_deallocation). False when there is no such
 * allocation.
 */
export async function deleteAllocation(
  db: Db,
  uuid: string,
  check: (node: NodeRow, allocation: AllocationRow) => void,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [allocation] = await tx
      .select()
      .from(allocations)
      .where(eq(allocations.uuid, uuid))
      .for('update');
    if (!allocation) return false;
    if (allocation.nodeUuid) {
      const [node] = await tx
        .select()
        .from(nodes)
        .where(eq(nodes.uuid, allocation.nodeUuid))
        .for('update');
      if (node) {
        check(node, allocation);
        await tx
          .update(nodes)
          .set({
            allocationUuid: null,
            instanceInfo: sql`${nodes.instanceInfo} - 'instance_uuid'`,
            updatedAt: new Date(),
          })
          .where(and(eq(nodes.uuid, node.uuid), eq(nodes.allocationUuid, uuid)));
      }
    }
    await tx.delete(allocations).where(eq(allocations.uuid, uuid));
    return true;
  });
}
