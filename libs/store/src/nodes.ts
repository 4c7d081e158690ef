import { createHash } from 'node:crypto';
import { eq, or, sql } from 'drizzle-orm';
import type { Node } from '@ingot/contracts';
import type { Db, DbOrTx } from './db.js';
import type { NodeRow } from './leases.js';
import { Batcher, batcherFor } from './batcher.js';
import { nodeFromColumns } from './node-write.js';
import { prepared } from './prepared.js';
import { nodes } from './schema.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID_RE.test(value);

const uuidParam = sql.placeholder('uuid');
const nameParam = sql.placeholder('name');

/** Finds a node by uuid or by name, as Ironic's /v1/nodes/{node_ident} does. */
export async function findNode(db: DbOrTx, ident: string): Promise<NodeRow | undefined> {
  const [row] = isUuid(ident)
    ? await prepared(db, 'node_by_uuid_or_name', (db, name) =>
        db
          .select()
          .from(nodes)
          .where(or(eq(nodes.uuid, uuidParam), eq(nodes.name, nameParam)))
          .limit(1)
          .prepare(name),
      ).execute({ uuid: ident.toLowerCase(), name: ident })
    : await prepared(db, 'node_by_name', (db, name) =>
        db.select().from(nodes).where(eq(nodes.name, nameParam)).limit(1).prepare(name),
      ).execute({ name: ident });
  return row;
}

export async function getNode(db: DbOrTx, uuid: string): Promise<NodeRow | undefined> {
  const [row] = await prepared(db, 'node_by_uuid', (db, name) =>
    db.select().from(nodes).where(eq(nodes.uuid, uuidParam)).limit(1).prepare(name),
  ).execute({ uuid });
  return row;
}

const fingerprints = new WeakMap<object, string>();

/**
 * A digest of what a BMC driver is built from (driver, driver_info, the sealed secrets): equal
 * digests mean a driver built for one row serves the other. Remembered per row object.
 */
export function driverFingerprint(
  node: Pick<NodeRow, 'driver' | 'driverInfo' | 'driverSecrets'>,
): string {
  let digest = fingerprints.get(node);
  if (digest === undefined) {
    digest = createHash('sha256')
      .update(JSON.stringify([node.driver, node.driverInfo, node.driverSecrets]))
      .digest('base64url');
    fingerprints.set(node, digest);
  }
  return digest;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The API view of a node. driver_info is stored with secrets already masked. */
export function toApiNode(row: NodeRow, now = new Date()): Node {
  const leaseLive = row.leaseOwner && row.leaseExpiresAt && row.leaseExpiresAt > now;
  return {
    uuid: row.uuid,
    name: row.name,
    driver: row.driver,
    driver_info: row.driverInfo,
    properties: row.properties,
    instance_info: row.instanceInfo,
    driver_internal_info: row.driverInternalInfo,
    extra: row.extra,
    conductor_group: row.conductorGroup,
    resource_class: row.resourceClass,
    description: row.description,
    owner: row.owner,
    lessee: row.lessee,
    provision_state: row.provisionState,
    target_provision_state: row.targetProvisionState,
    provision_updated_at: iso(row.provisionUpdatedAt),
    power_state: row.powerState,
    target_power_state: row.targetPowerState,
    last_error: row.lastError,
    maintenance: row.maintenance,
    maintenance_reason: row.maintenanceReason,
    reservation: leaseLive ? row.leaseOwner : null,
    boot_mode: row.bootMode,
    automated_clean: row.automatedClean,
    secure_boot: row.secureBoot,
    traits: row.traits,
    shard: row.shard,
    created_at: row.createdAt.toISOString(),
    updated_at: iso(row.updatedAt),
  };
}

const readers = new WeakMap<Db, Batcher<string, NodeRow | undefined>>();

/**
 * Finds a node by uuid or name as `findNode` does, batched: while one lookup statement runs, the
 * lookups that arrive gather for the next one (one round trip for many concurrent GETs). Each
 * lookup's statement starts after the lookup was asked, so a client reads its own writes.
 */
export function findNodeBatched(db: Db, ident: string): Promise<NodeRow | undefined> {
  return batcherFor(
    readers,
    db,
    () =>
      new Batcher((idents) => findNodes(db, idents), {
        maxBatch: 500,
        maxInFlight: 2,
        span: { operation: 'SELECT', collection: 'nodes' },
      }),
  ).submit(ident);
}

async function findNodes(db: Db, idents: string[]): Promise<(NodeRow | undefined)[]> {
  const uuids = [...new Set(idents.filter(isUuid).map((i) => i.toLowerCase()))];
  const { rows } = await db.$client.query<Record<string, unknown>>({
    name: 'nodes_by_uuid_or_name',
    text: 'SELECT * FROM nodes WHERE uuid = ANY($1::uuid[]) OR name = ANY($2::text[])',
    values: [uuids, [...new Set(idents)]],
  });
  const byUuid = new Map<string, NodeRow>();
  const byName = new Map<string, NodeRow>();
  for (const raw of rows) {
    const row = nodeFromColumns(raw);
    byUuid.set(row.uuid, row);
    if (row.name !== null) byName.set(row.name, row);
  }
  // A uuid-shaped ident is a uuid first, as Ironic looks it up; a row object per lookup, since
  // callers may keep and change what they got.
  return idents.map((ident) => {
    const row = (isUuid(ident) && byUuid.get(ident.toLowerCase())) || byName.get(ident);
    return row ? { ...row } : undefined;
  });
}
