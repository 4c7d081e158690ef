import jsonPatch from 'fast-json-patch';
import { Type, type Static } from '@sinclair/typebox';
import {
  CHOOSABLE_INTERFACES,
  ConductorGroupSchema,
  DRIVER_INTERFACES,
  nodeInterfaces,
  NodeNameSchema,
  parse,
  ShardSchema,
  ValidationError,
} from '@ingot/contracts';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { isStable } from '@ingot/lifecycle';
import { nodes, resealDriverInfo, type NodeRow, type SecretBox } from '@ingot/store';
import type { CommandDeps } from './deps.js';
import { automatedCleanOf } from './automated-clean.js';
import { checkDriverInfo } from './driver-info.js';
import {
  conflict,
  invalid,
  isForeignKeyViolation,
  isUniqueViolation,
  NodeCommandError,
  unknownChassis,
} from './errors.js';
import { checkInterfaces, chosenInterfaces, hardwareOf } from './hardware.js';

/** Body of PATCH /v1/nodes/{id}: RFC 6902 operations, as Ironic takes them. */
export const NodePatchSchema = Type.Array(
  Type.Object(
    {
      op: Type.Union(
        ['add', 'remove', 'replace', 'move', 'copy', 'test'].map((op) => Type.Literal(op)),
      ),
      path: Type.String({ pattern: '^/' }),
      from: Type.Optional(Type.String()),
      value: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  ),
  { minItems: 1 },
);
export type NodePatch = Static<typeof NodePatchSchema>;

/** Fields a client may change; the rest (uuid, states, reservation, ...) are Ironic's read-only fields. */
const WRITABLE = [
  'name',
  'description',
  'driver_info',
  'properties',
  'instance_info',
  'extra',
  'resource_class',
  'owner',
  'lessee',
  'conductor_group',
  'boot_mode',
  'automated_clean',
  'shard',
  'maintenance',
  'chassis_uuid',
  // Accepted when unchanged or set to what the hardware type implements (Metal3 sends them).
  ...DRIVER_INTERFACES.map((i) => `${i}_interface` as const),
] as const;

const WritableSchema = Type.Object({
  name: Type.Union([NodeNameSchema, Type.Null()]),
  description: Type.Union([Type.String({ maxLength: 4096 }), Type.Null()]),
  driver_info: Type.Record(Type.String(), Type.Unknown()),
  properties: Type.Record(Type.String(), Type.Unknown()),
  instance_info: Type.Record(Type.String(), Type.Unknown()),
  extra: Type.Record(Type.String(), Type.Unknown()),
  resource_class: Type.Union([Type.String({ maxLength: 80 }), Type.Null()]),
  owner: Type.Union([Type.String({ maxLength: 255 }), Type.Null()]),
  lessee: Type.Union([Type.String({ maxLength: 255 }), Type.Null()]),
  conductor_group: ConductorGroupSchema,
  boot_mode: Type.Union([Type.Literal('uefi'), Type.Literal('bios'), Type.Null()]),
  // Read by automatedCleanOf, whose error says what the field takes.
  automated_clean: Type.Unknown(),
  shard: Type.Union([ShardSchema, Type.Null()]),
  maintenance: Type.Boolean(),
  chassis_uuid: Type.Union([
    Type.String({
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
    }),
    Type.Null(),
  ]),
});

/** What each writable field becomes when a patch removes it, as on a new node. */
function removedDefaults(
  current: Record<string, unknown>,
  driver: string,
): Record<string, unknown> {
  return {
    ...current,
    // A removed interface goes back to the hardware type's default.
    ...Object.fromEntries(
      DRIVER_INTERFACES.map((i) => [`${i}_interface`, hardwareOf(driver).interfaces[i]]),
    ),
    name: null,
    description: null,
    driver_info: {},
    properties: {},
    instance_info: {},
    extra: {},
    resource_class: null,
    owner: null,
    lessee: null,
    conductor_group: '',
    boot_mode: null,
    automated_clean: null,
    shard: null,
    maintenance: false,
    chassis_uuid: null,
  };
}

/**
 * Applies a JSON Patch (fast-json-patch, RFC 6902) to the writable view of a node and returns the
 * columns to write. Secrets: a masked value ('******') keeps the stored secret; a new one is sealed.
 */
export function patchNode(
  node: NodeRow,
  patch: NodePatch,
  box: SecretBox,
): Partial<typeof nodes.$inferInsert> {
  for (const op of patch) {
    const field = op.path.split('/')[1] ?? '';
    if (!(WRITABLE as readonly string[]).includes(field)) {
      throw invalid(
        `'/${field}' is a read-only field or does not exist; writable fields: ${WRITABLE.join(', ')}`,
      );
    }
  }
  const current = {
    name: node.name,
    description: node.description,
    driver_info: node.driverInfo,
    properties: node.properties,
    instance_info: node.instanceInfo,
    extra: node.extra,
    resource_class: node.resourceClass,
    owner: node.owner,
    lessee: node.lessee,
    conductor_group: node.conductorGroup,
    boot_mode: node.bootMode,
    automated_clean: node.automatedClean as unknown,
    shard: node.shard,
    maintenance: node.maintenance,
    chassis_uuid: node.chassisUuid as string | null,
    ...Object.fromEntries(
      Object.entries(nodeInterfaces(hardwareOf(node.driver), node)).map(([i, impl]) => [
        `${i}_interface`,
        impl,
      ]),
    ),
  };
  let next: typeof current;
  try {
    next = jsonPatch.applyPatch(
      structuredClone(current),
      patch as jsonPatch.Operation[],
      true,
      false,
    ).newDocument;
  } catch (error) {
    throw invalid(`Invalid patch: ${(error as Error).message.split('\n')[0]}`);
  }
  // Ironic resets a root field that a patch removes to its default (`baremetal node unset --name`
  // sends `{"op": "remove", "path": "/name"}`); RFC 6902 would leave it missing, which the schema
  // below refuses. The defaults are those of a new node: the interfaces are the hardware type's.
  for (const [field, value] of Object.entries(removedDefaults(current, node.driver))) {
    if (!(field in next)) (next as Record<string, unknown>)[field] = value;
  }
  try {
    parse(WritableSchema, next, 'node');
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw invalid(
      `Invalid patch: ${error.errors.map((e) => `field '${e.path.slice(1).replace(/\//g, '.')}' ${e.message.toLowerCase()}`).join('; ')}`,
    );
  }
  checkInterfaces(node.driver, next);
  const chosen = chosenInterfaces(node.driver, next);
  const changed = Object.keys(CHOOSABLE_INTERFACES).filter(
    (iface) =>
      (next as Record<string, unknown>)[`${iface}_interface`] !==
      (current as Record<string, unknown>)[`${iface}_interface`],
  );
  if (changed.length > 0 && !isStable(node.provisionState)) {
    // The running operation booted or inspects one way; it must finish the same way.
    throw conflict(
      `Cannot change ${changed.map((i) => `${i}_interface`).join(' or ')} of node ${node.uuid} while it is '${node.provisionState}'; wait until the operation ends`,
    );
  }
  // A client that sends back what it read must not replace a secret with its mask.
  checkDriverInfo(node.driver, next.driver_info, false);
  const sealed = resealDriverInfo(box, node, next.driver_info);
  return {
    name: next.name,
    description: next.description,
    driverInfo: sealed.driverInfo,
    driverSecrets: sealed.driverSecrets,
    properties: next.properties,
    instanceInfo: next.instance_info,
    extra: next.extra,
    resourceClass: next.resource_class,
    owner: next.owner,
    lessee: next.lessee,
    conductorGroup: next.conductor_group.toLowerCase(),
    bootMode: next.boot_mode,
    automatedClean: automatedCleanOf(next.automated_clean),
    ...chosen,
    shard: next.shard,
    maintenance: next.maintenance,
    chassisUuid: next.chassis_uuid?.toLowerCase() ?? null,
    // Leaving maintenance clears its reason, as DELETE /maintenance does.
    ...(next.maintenance ? {} : { maintenanceReason: null, fault: null }),
    updatedAt: new Date(),
  };
}

/**
 * Patches a node (Ironic's PATCH /v1/nodes/{id}) unless a conductor holds it, and returns the
 * row as written; a node that moved to another state since `node` was read is a conflict to retry.
 * The patch applies to the row locked for the write, not to `node`: two patches at once (two
 * clients, two API replicas) each keep the other's change, and so does a conductor's write.
 */
export async function updateNode(
  deps: Pick<CommandDeps, 'db' | 'secrets'>,
  node: NodeRow,
  patch: NodePatch,
): Promise<NodeRow> {
  // A conductor releases its lease just after the write that brings the node to rest (in a batch
  // with others), so a patch in that moment would get 409 for nothing being done. A node at rest
  // is waited for a little; one whose lease stays held (a power change) is a 409 as in Ironic.
  const restingLeaseWaitUntil = Date.now() + RESTING_LEASE_WAIT_MS;
  for (;;) {
    try {
      return await patchCurrentRow(deps, node, patch);
    } catch (error) {
      if (
        !(error instanceof LeaseHeld) ||
        !isStable(node.provisionState) ||
        Date.now() >= restingLeaseWaitUntil
      )
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** How long a patch of a node at rest waits for a conductor's lease to go. */
const RESTING_LEASE_WAIT_MS = 2_000;

class LeaseHeld extends NodeCommandError {
  constructor(uuid: string, owner: string) {
    super(409, `Node ${uuid} is locked by ${owner}; retry when the current operation ends.`);
  }
}

/**
 * Applies the patch to the node as it is now and writes it only if the row did not change between
 * the read and the write (its xmin, which every UPDATE changes): two round trips, no transaction.
 * A row that keeps changing under it (many patches of one node at once) is patched under a row
 * lock instead, one after the other.
 */
async function patchCurrentRow(
  deps: Pick<CommandDeps, 'db' | 'secrets'>,
  node: NodeRow,
  patch: NodePatch,
): Promise<NodeRow> {
  for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
    const [current] = await deps.db
      .select({ ...getTableColumns(nodes), rowVersion: sql<string>`xmin::text` })
      .from(nodes)
      .where(eq(nodes.uuid, node.uuid));
    const { rowVersion, ...row } = checkPatchable(node, current);
    const changes = patchNode(row, patch, deps.secrets);
    const [written] = await deps.db
      .update(nodes)
      .set(changes)
      .where(and(eq(nodes.uuid, node.uuid), sql`xmin::text = ${rowVersion}`))
      .returning()
      .catch(nameClash(changes));
    if (written) return written;
  }
  return deps.db.transaction(async (tx) => {
    const [current] = await tx.select().from(nodes).where(eq(nodes.uuid, node.uuid)).for('update');
    const changes = patchNode(checkPatchable(node, current), patch, deps.secrets);
    const [written] = await tx
      .update(nodes)
      .set(changes)
      .where(eq(nodes.uuid, node.uuid))
      .returning()
      .catch(nameClash(changes));
    return written!;
  });
}

/** Tries of the lock-free write before the patch takes the row lock. */
const OPTIMISTIC_ATTEMPTS = 3;

/** The row as it is now, if a patch may apply to it: same state as the caller saw, no live lease. */
function checkPatchable<T extends NodeRow>(seen: NodeRow, current: T | undefined): T {
  if (!current || current.provisionState !== seen.provisionState)
    throw conflict(`Node ${seen.uuid} changed while the patch was applied; retry`);
  if (current.leaseOwner && current.leaseExpiresAt && current.leaseExpiresAt > new Date())
    throw new LeaseHeld(seen.uuid, current.leaseOwner);
  return current;
}

const nameClash =
  (changes: { name?: string | null; chassisUuid?: string | null }) => (error: unknown) => {
    if (isUniqueViolation(error)) throw conflict(`A node named '${changes.name}' already exists.`);
    if (isForeignKeyViolation(error)) throw unknownChassis(changes.chassisUuid ?? '');
    throw error;
  };
