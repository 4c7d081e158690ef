import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { BiosSetting } from '@ingot/contracts';
import type { Db } from './db.js';
import { biosSettings } from './schema.js';

export type BiosSettingRow = typeof biosSettings.$inferSelect;

/**
 * Makes the node's cached BIOS settings what its BMC reported: settings it no longer has go, the
 * others are written with their registry fields, in one transaction. A setting whose value and
 * registry fields did not change keeps its updated_at, as Ironic's cache does.
 */
export async function replaceBiosSettings(
  db: Db,
  nodeUuid: string,
  settings: readonly BiosSetting[],
): Promise<void> {
  await db.transaction(async (tx) => {
    const names = settings.map((s) => s.name);
    await tx
      .delete(biosSettings)
      .where(
        names.length > 0
          ? and(eq(biosSettings.nodeUuid, nodeUuid), notInArray(biosSettings.name, names))
          : eq(biosSettings.nodeUuid, nodeUuid),
      );
    if (settings.length === 0) return;
    const rows = settings.map((s) => ({
      nodeUuid,
      name: s.name,
      value: s.value,
      attributeType: s.attribute_type,
      allowableValues: s.allowable_values,
      lowerBound: s.lower_bound,
      upperBound: s.upper_bound,
      minLength: s.min_length,
      maxLength: s.max_length,
      readOnly: s.read_only,
      resetRequired: s.reset_required,
      unique: s.unique,
    }));
    const excluded = (column: string) => sql.raw(`excluded.${column}`);
    await tx
      .insert(biosSettings)
      .values(rows)
      .onConflictDoUpdate({
        target: [biosSettings.nodeUuid, biosSettings.name],
        set: {
          value: excluded('value'),
          attributeType: excluded('attribute_type'),
          allowableValues: excluded('allowable_values'),
          lowerBound: excluded('lower_bound'),
          upperBound: excluded('upper_bound'),
          minLength: excluded('min_length'),
          maxLength: excluded('max_length'),
          readOnly: excluded('read_only'),
          resetRequired: excluded('reset_required'),
          unique: excluded('unique'),
          updatedAt: sql`now()`,
        },
        setWhere: sql`(${biosSettings.value}, ${biosSettings.attributeType}, ${biosSettings.allowableValues}, ${biosSettings.lowerBound}, ${biosSettings.upperBound}, ${biosSettings.minLength}, ${biosSettings.maxLength}, ${biosSettings.readOnly}, ${biosSettings.resetRequired}, ${biosSettings.unique}) is distinct from (excluded.value, excluded.attribute_type, excluded.allowable_values, excluded.lower_bound, excluded.upper_bound, excluded.min_length, excluded.max_length, excluded.read_only, excluded.reset_required, excluded.unique)`,
      });
  });
}

/** The node's cached BIOS settings, by name. */
export async function biosSettingsOf(db: Db, nodeUuid: string): Promise<BiosSettingRow[]> {
  return db
    .select()
    .from(biosSettings)
    .where(eq(biosSettings.nodeUuid, nodeUuid))
    .orderBy(biosSettings.name);
}
