import { inArray } from 'drizzle-orm';
import type { DbOrTx } from './db.js';
import { deployTemplates } from './schema.js';

export type DeployTemplateRow = typeof deployTemplates.$inferSelect;

/**
 * The deploy templates a deployment with these instance traits uses (Ironic's
 * get_deployment_templates): those whose name is one of the traits, by name.
 */
export async function deployTemplatesMatching(
  db: DbOrTx,
  traits: readonly string[],
): Promise<DeployTemplateRow[]> {
  const names = [...new Set(traits.filter((t) => typeof t === 'string'))];
  if (names.length === 0) return [];
  return db
    .select()
    .from(deployTemplates)
    .where(inArray(deployTemplates.name, names))
    .orderBy(deployTemplates.name);
}
