import { randomUUID } from 'node:crypto';
import type { NodeCreate } from '@ingot/contracts';
import { ports, nodes, sealDriverInfo, type NodeRow } from '@ingot/store';
import type { CommandDeps } from './deps.js';
import { automatedCleanOf } from './automated-clean.js';
import { checkDriverInfo } from './driver-info.js';
import { conflict, isForeignKeyViolation, isUniqueViolation, unknownChassis } from './errors.js';
import { checkInterfaces, chosenInterfaces } from './hardware.js';

/** Enrolls a node (Ironic's POST /v1/nodes): checks its driver fields, seals its secrets. */
export async function createNode(
  deps: Pick<CommandDeps, 'db' | 'secrets'>,
  body: NodeCreate,
): Promise<NodeRow> {
  checkInterfaces(body.driver, body);
  const driverInfo = body.driver_info ?? {};
  checkDriverInfo(body.driver, driverInfo, false);
  const sealed = sealDriverInfo(deps.secrets, driverInfo);
  const values = {
    uuid: body.uuid?.toLowerCase() ?? randomUUID(),
    name: body.name ?? null,
    driver: body.driver,
    driverInfo: sealed.driverInfo,
    driverSecrets: sealed.driverSecrets,
    properties: body.properties ?? {},
    instanceInfo: body.instance_info ?? {},
    extra: body.extra ?? {},
    conductorGroup: (body.conductor_group ?? '').toLowerCase(),
    resourceClass: body.resource_class ?? null,
    description: body.description ?? null,
    owner: body.owner ?? null,
    lessee: body.lessee ?? null,
    bootMode: body.boot_mode ?? null,
    automatedClean: automatedCleanOf(body.automated_clean),
    ...chosenInterfaces(body.driver, body),
    shard: body.shard ?? null,
    chassisUuid: body.chassis_uuid?.toLowerCase() ?? null,
  };
  const [row] = await deps.db
    .insert(nodes)
    .values(values)
    .onConflictDoNothing()
    .returning()
    .catch((error: unknown) => {
      throw isForeignKeyViolation(error) ? unknownChassis(body.chassis_uuid ?? '') : error;
    });
  if (!row) {
    const clash = body.name ? `name '${body.name}'` : `uuid ${values.uuid}`;
    throw conflict(`A node with ${clash} already exists.`);
  }
  return row;
}

/** A MAC address as ports store it: lower case, colon-separated. */
export const normalizeMac = (mac: string): string => mac.toLowerCase().replace(/-/g, ':');

export type PortValues = typeof ports.$inferInsert;
export type PortRow = typeof ports.$inferSelect;

/** Creates a port; a MAC, name or UUID another port has is a conflict naming them. */
export async function createPort(
  deps: Pick<CommandDeps, 'db'>,
  values: PortValues,
): Promise<PortRow> {
  const [row] = await deps.db
    .insert(ports)
    .values(values)
    .returning()
    .catch((error: unknown) => {
      throw isUniqueViolation(error) ? portClash(values) : error;
    });
  return row!;
}

export function portClash(values: { uuid?: string; address: string; name?: string | null }) {
  return conflict(
    `A port with MAC address ${values.address}${values.name ? `, name ${values.name}` : ''} or UUID ${values.uuid} already exists.`,
  );
}
