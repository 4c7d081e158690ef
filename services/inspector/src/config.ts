import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { busOptionsFromEnv, type BusOptions } from '@ingot/bus';
import { intFromEnv, siteFromEnv } from '@ingot/service';
import { databaseUrlFromEnv } from '@ingot/store';
import { ADD_PORTS_MODES, type AddPorts } from './ports.js';

export interface InspectorConfig {
  id: string;
  site: string;
  databaseUrl: string;
  bus: BusOptions;
  /** Which NICs become ports (Ironic's [inspector]add_ports): pxe (default), active, all. */
  addPorts: AddPorts;
  concurrency: number;
  ackWaitMs: number;
  opsPort: number;
  opsHost: string;
}

export function inspectorConfigFromEnv(env: NodeJS.ProcessEnv = process.env): InspectorConfig {
  const site = siteFromEnv(env);
  const addPorts = (env.INGOT_INSPECTOR_ADD_PORTS ?? 'pxe') as AddPorts;
  if (!ADD_PORTS_MODES.includes(addPorts)) {
    throw new Error(
      `INGOT_INSPECTOR_ADD_PORTS must be one of ${ADD_PORTS_MODES.join(', ')}, got "${addPorts}"`,
    );
  }
  return {
    id: env.INGOT_WORKER_ID || `inspector-${hostname()}-${randomBytes(3).toString('hex')}`,
    site,
    databaseUrl: databaseUrlFromEnv(env),
    bus: { ...busOptionsFromEnv(env), name: 'ingot-inspector' },
    addPorts,
    concurrency: intFromEnv(env, 'INGOT_CONCURRENCY', 16, 1),
    ackWaitMs: intFromEnv(env, 'INGOT_ACK_WAIT_MS', 30_000, 1_000),
    opsPort: intFromEnv(env, 'INGOT_OPS_PORT', 9104),
    opsHost: env.INGOT_OPS_HOST ?? '127.0.0.1',
  };
}
