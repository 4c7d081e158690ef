import { busOptionsFromEnv, type BusOptions } from '@ingot/bus';
import { boolFromEnv, tlsFilesFromEnv, type TlsFiles } from '@ingot/service';
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
  tls?: TlsFiles;
  /**
   * Ironic's [agent]require_tls: heartbeats must give an https callback_url (an agent with auto
   * TLS), so that the conductor never talks to an agent in clear.
   */
  agentRequireTls: boolean;
  /**
   * Which proxies' X-Forwarded-Proto/-Host/-For to believe (Fastify's trustProxy): behind an
   * ingress that terminates TLS, links and Location headers must name the address clients use.
   */
  trustProxy: boolean | string;
}

/**
 * INGOT_API_TRUST_PROXY: unset or `false`, no proxy; `true`, any; else the proxies' addresses or
 * CIDRs, comma separated (Ironic: [oslo_middleware]enable_proxy_headers_parsing).
 */
export function trustProxyFromEnv(value: string | undefined): boolean | string {
  const setting = value?.trim() ?? '';
  if (setting === '' || setting.toLowerCase() === 'false') return false;
  if (setting.toLowerCase() === 'true') return true;
  if (!/^[0-9A-Fa-f.:/,\s]+$/.test(setting))
    throw new Error(
      `INGOT_API_TRUST_PROXY must be true, false, or proxy addresses/CIDRs separated by commas, got "${value}"`,
    );
  return setting;
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
    tls: tlsFilesFromEnv(env, 'INGOT_API_TLS'),
    agentRequireTls: boolFromEnv(env, 'INGOT_AGENT_REQUIRE_TLS', false),
    trustProxy: trustProxyFromEnv(env.INGOT_API_TRUST_PROXY),
  };
}
