import { readFileSync } from 'node:fs';
import { busOptionsFromEnv, type BusOptions } from '@ingot/bus';
import { boolFromEnv } from '@ingot/service';
import { databaseUrlFromEnv } from '@ingot/store';
import { authConfigFromEnv, type AuthConfig } from './auth/config.js';

export interface ApiConfig {
  host: string;
  port: number;
  databaseUrl: string;
  bus: BusOptions;
  /** Agents heartbeat at 30–60 % of this (Ironic's [api]ramdisk_heartbeat_timeout). */
  heartbeatTimeoutS: number;
  /**
   * Whether inspection data for a node booted with a pregenerated token (virtual media) must carry
   * it. Ironic takes inspection data without a token, and stock IPA sends none.
   */
  inspectionTokenRequired: boolean;
  /** How long boot device requests wait for the site's power worker or conductor. */
  bmcWaitMs: number;
  /** INGOT_AUTH_STRATEGY, INGOT_AUTH_TOKENS_FILE, INGOT_ADMIN_TOKEN (see auth/config.ts). */
  auth: AuthConfig;
  /** HTTPS: the certificate chain and key (PEM), from INGOT_API_TLS_CERT_FILE / _KEY_FILE. */
  tls?: { cert: string; key: string };
}

/** Both files or neither; read at start, so that a wrong path stops the API with its name. */
function tlsFromEnv(env: NodeJS.ProcessEnv): ApiConfig['tls'] {
  const certFile = env.INGOT_API_TLS_CERT_FILE?.trim();
  const keyFile = env.INGOT_API_TLS_KEY_FILE?.trim();
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) {
    throw new Error('INGOT_API_TLS_CERT_FILE and INGOT_API_TLS_KEY_FILE go together: set both');
  }
  const read = (name: string, path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(`${name} ${path} cannot be read: ${(error as Error).message}`);
    }
  };
  return {
    cert: read('INGOT_API_TLS_CERT_FILE', certFile),
    key: read('INGOT_API_TLS_KEY_FILE', keyFile),
  };
}

export function apiConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const port = Number(env.INGOT_API_PORT ?? 6385);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`INGOT_API_PORT must be a TCP port, got "${env.INGOT_API_PORT}"`);
  }
  return {
    // Ironic's port, on loopback unless told otherwise (containers set 0.0.0.0).
    host: env.INGOT_API_HOST ?? '127.0.0.1',
    port,
    databaseUrl: databaseUrlFromEnv(env),
    bus: { ...busOptionsFromEnv(env), name: 'ingot-api' },
    heartbeatTimeoutS: Number(env.INGOT_AGENT_HEARTBEAT_TIMEOUT_S ?? 300),
    inspectionTokenRequired: boolFromEnv(env, 'INGOT_INSPECTION_TOKEN_REQUIRED', true),
    bmcWaitMs: Number(env.INGOT_API_BMC_WAIT_MS ?? 60_000),
    auth: authConfigFromEnv(env),
    tls: tlsFromEnv(env),
  };
}
