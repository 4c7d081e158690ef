import { eq, sql } from 'drizzle-orm';
import type { FirmwareComponent } from '@ingot/contracts';
import type { Db } from './db.js';
import { firmwareComponents } from './schema.js';

export type FirmwareComponentRow = typeof firmwareComponents.$inferSelect;

/**
 * Writes what the node's BMC reports of its firmware (Ironic's cache_firmware_components): a
 * component seen for the first time keeps that version as its initial_version for good; the others
 * take the current version. Components named in `flashed` (an update step finished with them) get
 * that version as last_version_flashed. A component whose row does not change keeps its
 * updated_at; one the BMC no longer lists is kept, as Ironic's sync keeps it.
 */
export async function recordFirmwareComponents(
  db: Db,
  nodeUuid: string,
  components: readonly Pick<FirmwareComponent, 'component' | 'current_version'>[],
  opts: { flashed?: readonly string[] } = {},
): Promise<void> {
  if (components.length === 0) return;
  const flashed = new Set(opts.flashed ?? []);
  const rows = components.map((c) => ({
    nodeUuid,
    component: c.component,
    initialVersion: c.current_version,
    currentVersion: c.current_version,
    lastVersionFlashed: flashed.has(c.component) ? c.current_version : null,
  }));
  const { currentVersion, lastVersionFlashed } = firmwareComponents;
  await db
    .insert(firmwareComponents)
    .values(rows)
    .onConflictDoUpdate({
      target: [firmwareComponents.nodeUuid, firmwareComponents.component],
      set: {
        currentVersion: sql.raw('excluded.current_version'),
        // Only a flash names a version here; a plain reading keeps the last one flashed.
        lastVersionFlashed: sql`coalesce(excluded.last_version_flashed, ${lastVersionFlashed})`,
        updatedAt: sql`now()`,
      },
      setWhere: sql`(${currentVersion}, ${lastVersionFlashed}) is distinct from (excluded.current_version, coalesce(excluded.last_version_flashed, ${lastVersionFlashed}))`,
    });
}

/** The node's firmware components, by name (GET /v1/nodes/{node}/firmware). */
export async function firmwareComponentsOf(
  db: Db,
  nodeUuid: string,
): Promise<FirmwareComponentRow[]> {
  return db
    .select()
    .from(firmwareComponents)
    .where(eq(firmwareComponents.nodeUuid, nodeUuid))
    .orderBy(firmwareComponents.component);
}
