import type { Db } from './db.js';
import type { SecretBox } from './secret-box.js';

/** The columns that hold sealed values. */
const SEALED_COLUMNS = ['driver_secrets', 'agent_token_sealed'] as const;
const BATCH = 500;

export interface ResealReport {
  /** Values sealed again with the newest key, per column. */
  resealed: Record<(typeof SEALED_COLUMNS)[number], number>;
  /** Values that changed while they were resealed: left as written (with the newest key). */
  skipped: number;
}

/**
 * Seals every stored secret that was sealed with a previous key again with the newest, so that
 * the previous key can be retired. Each value is replaced only if it is still the one read
 * (a service may have written the node meanwhile, with the newest key), in batches of one
 * statement, while the services run.
 */
export async function resealSecrets(db: Db, box: SecretBox): Promise<ResealReport> {
  const report: ResealReport = {
    resealed: { driver_secrets: 0, agent_token_sealed: 0 },
    skipped: 0,
  };
  for (const column of SEALED_COLUMNS) {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const { rows } = await db.$client.query<{ uuid: string; sealed: string }>(
        `SELECT uuid, ${column} AS sealed FROM nodes
          WHERE uuid > $1 AND ${column} IS NOT NULL AND split_part(${column}, ':', 2) <> $2
          ORDER BY uuid LIMIT ${BATCH}`,
        [after, box.keyId],
      );
      if (rows.length === 0) break;
      after = rows.at(-1)!.uuid;
      const { rowCount } = await db.$client.query(
        `UPDATE nodes AS n SET ${column} = v.fresh
           FROM unnest($1::uuid[], $2::text[], $3::text[]) AS v(uuid, old, fresh)
          WHERE n.uuid = v.uuid AND n.${column} = v.old`,
        [
          rows.map((row) => row.uuid),
          rows.map((row) => row.sealed),
          rows.map((row) => box.seal(box.open(row.sealed))),
        ],
      );
      report.resealed[column] += rowCount ?? 0;
      report.skipped += rows.length - (rowCount ?? 0);
    }
  }
  return report;
}
