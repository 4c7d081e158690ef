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
  /**
   * Nodes whose driver (a Redfish session, its connections) is kept between commands. Below the
   * site's node count, every power sync pass evicts what the next one needs and each read costs a
   * new login and a logout besides the read (Ironic's [redfish]connection_cache_size).
   */
  hardwareCacheSize: number;
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
    hardwareCacheSize: Math.max(1, intFromEnv(env, 'INGOT_POWER_HARDWARE_CACHE_SIZE', 20_000)),
    ackWaitMs: intFromEnv(env, 'INGOT_ACK_WAIT_MS', 30_000),
    maxDeliver: intFromEnv(env, 'INGOT_MAX_DELIVER', 5),
    opsPort: intFromEnv(env, 'INGOT_OPS_PORT', 9103),
    opsHost: env.INGOT_OPS_HOST ?? '127.0.0.1',
  };
}
