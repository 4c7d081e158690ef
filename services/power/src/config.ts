import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { busOptionsFromEnv, type BusOptions } from '@ingot/bus';
import { intFromEnv, siteFromEnv } from '@ingot/service';
import { databaseUrlFromEnv } from '@ingot/store';

export interface PowerWorkerConfig {
  id: string;
  site: string;
  databaseUrl: string;
  bus: BusOptions;
  /** BMC commands run at once by this worker; a slow BMC only holds one of them. */
  concurrency: number;
  ackWaitMs: number;
  maxDeliver: number;
  opsPort: number;
  opsHost: string;
}

export function powerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PowerWorkerConfig {
  const site = siteFromEnv(env);
  return {
    id: env.INGOT_WORKER_ID || `power-${hostname()}-${randomBytes(3).toString('hex')}`,
    site,
    databaseUrl: databaseUrlFromEnv(env),
    bus: { ...busOptionsFromEnv(env), name: 'ingot-power' },
    concurrency: intFromEnv(env, 'INGOT_CONCURRENCY', 64),
    ackWaitMs: intFromEnv(env, 'INGOT_ACK_WAIT_MS', 30_000),
    maxDeliver: intFromEnv(env, 'INGOT_MAX_DELIVER', 5),
    opsPort: intFromEnv(env, 'INGOT_OPS_PORT', 9103),
    opsHost: env.INGOT_OPS_HOST ?? '127.0.0.1',
  };
}
