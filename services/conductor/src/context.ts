import type { Bus } from '@ingot/bus';
import type { Db, SecretBox } from '@ingot/store';
import type { Logger } from '@ingot/telemetry';
import type { BmcCaller } from './bmc-caller.js';
import type { ImageCaller } from './image-caller.js';
import type { ConductorConfig } from './config.js';
import type { NodeLeases } from './node-lease.js';

/** Everything a conductor handler needs, built once at start. */
export interface ConductorContext {
  config: ConductorConfig;
  db: Db;
  bus: Bus;
  leases: NodeLeases;
  bmc: BmcCaller;
  images: ImageCaller;
  /** Seals and opens agent tokens (INGOT_SECRET_KEY), which the database holds only sealed. */
  secrets: SecretBox;
  logger: Logger;
}

/** Consumer name under which handled message ids are recorded. */
export const CONDUCTOR_INBOX = 'conductor';
