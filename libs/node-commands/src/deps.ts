import type { Subjects } from '@ingot/bus';
import type { Db, SecretBox } from '@ingot/store';

/** What node commands need: the database, the bus's subject names, the driver secrets' key. */
export interface CommandDeps {
  db: Db;
  bus: { subjects: Subjects };
  secrets: SecretBox;
}
