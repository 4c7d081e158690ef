import type { Bus } from '@ingot/bus';
import type { Db, SecretBox } from '@ingot/store';

/** What the routes need; built by main.ts, or by a test. */
export interface ApiDeps {
  db: Db;
  bus: Bus;
  secrets: SecretBox;
}
