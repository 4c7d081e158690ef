import { readFileSync } from 'node:fs';
import {
  boolFromEnv,
  intFromEnv,
  siteFromEnv,
  tlsFilesFromEnv,
  type TlsFiles,
} from '@ingot/service';
import { busOptionsFromEnv, type BusOptions } from '@ingot/bus';

export interface ImageCacheConfig {
  site: string;
  bus: BusOptions;
  /** Holds images/, boot/, pxe/, tmp/ and index.json. */
  dir: string;
  /** Total size of the cached raw images; least recently used ones are evicted beyond it. */
  budgetBytes: number;
  /** The image server (images, boot ISOs, iPXE scripts, /healthz, /metrics); port 0 picks one. */
  host: string;
  port: number;
  /** HTTPS on `port` with this certificate chain and key (INGOT_IMAGECACHE_TLS_CERT/KEY_FILE). */
  tls: TlsFiles | undefined;
  /**
   * With tls, a second listener in plain HTTP for firmware that cannot verify the certificate:
   * BMCs reading virtual media and iPXE (0 picks a port); undefined: none.
   */
  httpPort: number | undefined;
  /** Base URL agents download from; undefined means http(s)://<host>:<bound port>. */
  publicUrl: string | undefined;
  /**
   * Base URL BMCs fetch virtual media from (Ironic's external_http_url); undefined means the plain
   * listener's when there is one, else publicUrl.
   */
  bmcUrl: string | undefined;
  /**
   * PEM CA bundle put on every boot ISO for the agent (Ironic's [agent]api_ca_file): the agent
   * verifies the API's and this cache's HTTPS against it (INGOT_AGENT_CA_FILE).
   */
  agentCa: string | undefined;
  /** The agent ramdisk booted from the boot ISOs and over iPXE; without it ISOs hold only agent.json. */
  ramdisk: { kernel: string; initramfs: string } | undefined;
  /** Default for commands that do not say; md5 is too weak to prove an image unaltered. */
  allowMd5: boolean;
  /** A download that receives no bytes for this long is abandoned. */
  downloadTimeoutMs: number;
  /** A prepared image is kept from eviction this long (the agent downloads it after booting). */
  reserveMs: number;
  /** Commands handled at once (downloads, conversions, ISO builds). */
  concurrency: number;
  ackWaitMs: number;
  maxDeliver: number;
  ipxe: {
    /**
     * Deploy kernel and ramdisk of the agent; PXE configs are refused until both are set. With
     * INGOT_AGENT_KERNEL/INITRAMFS they default to this image cache's /agent/ files.
     */
    kernelUrl: string | undefined;
    initrdUrl: string | undefined;
    /** The Ingot API base URL the agent looks itself up at: the default ipa-api-url. */
    apiUrl: string;
  };
}

const GiB = 1024 ** 3;

const httpUrl = (value: string | undefined, name: string): string | undefined => {
  if (value === undefined || value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${name} must be an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
};

export function imageCacheConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ImageCacheConfig {
  const site = siteFromEnv(env);
  const port = intFromEnv(env, 'INGOT_IMAGECACHE_PORT', 8080);
  if (port > 65535) throw new Error(`INGOT_IMAGECACHE_PORT must be a TCP port, got ${port}`);
  const tls = tlsFilesFromEnv(env, 'INGOT_IMAGECACHE_TLS');
  return {
    site,
    bus: { ...busOptionsFromEnv(env), name: 'ingot-imagecache' },
    dir: env.INGOT_IMAGECACHE_DIR || './.imagecache',
    budgetBytes: intFromEnv(env, 'INGOT_IMAGECACHE_BUDGET_BYTES', 20 * GiB, 1),
    host: env.INGOT_IMAGECACHE_HOST || '127.0.0.1',
    port,
    tls,
    httpPort: plainPortFromEnv(env, tls),
    publicUrl: httpUrl(env.INGOT_IMAGECACHE_PUBLIC_URL, 'INGOT_IMAGECACHE_PUBLIC_URL'),
    bmcUrl: httpUrl(env.INGOT_IMAGECACHE_BMC_URL, 'INGOT_IMAGECACHE_BMC_URL'),
    agentCa: agentCaFromEnv(env),
    ramdisk: ramdiskFromEnv(env),
    allowMd5: boolFromEnv(env, 'INGOT_ALLOW_MD5'),
    downloadTimeoutMs: intFromEnv(env, 'INGOT_DOWNLOAD_TIMEOUT_MS', 60_000, 1),
    reserveMs: intFromEnv(env, 'INGOT_IMAGECACHE_RESERVE_MS', 1_800_000),
    concurrency: intFromEnv(env, 'INGOT_CONCURRENCY', 16, 1),
    ackWaitMs: intFromEnv(env, 'INGOT_ACK_WAIT_MS', 60_000, 1_000),
    maxDeliver: intFromEnv(env, 'INGOT_MAX_DELIVER', 5, 1),
    ipxe: {
      kernelUrl: httpUrl(env.INGOT_IPXE_KERNEL_URL, 'INGOT_IPXE_KERNEL_URL'),
      initrdUrl: httpUrl(env.INGOT_IPXE_INITRD_URL, 'INGOT_IPXE_INITRD_URL'),
      apiUrl: httpUrl(env.INGOT_API_PUBLIC_URL, 'INGOT_API_PUBLIC_URL') ?? 'http://127.0.0.1:6385',
    },
  };
}

function plainPortFromEnv(env: NodeJS.ProcessEnv, tls: TlsFiles | undefined): number | undefined {
  if (env.INGOT_IMAGECACHE_HTTP_PORT === undefined || env.INGOT_IMAGECACHE_HTTP_PORT === '')
    return undefined;
  if (!tls)
    throw new Error(
      'INGOT_IMAGECACHE_HTTP_PORT is a plain HTTP listener beside HTTPS: set INGOT_IMAGECACHE_TLS_CERT_FILE and INGOT_IMAGECACHE_TLS_KEY_FILE, or unset it',
    );
  const port = intFromEnv(env, 'INGOT_IMAGECACHE_HTTP_PORT', 0);
  if (port > 65535) throw new Error(`INGOT_IMAGECACHE_HTTP_PORT must be a TCP port, got ${port}`);
  return port;
}

/** Read at start: a wrong path, or a file with no certificate, stops the service naming it. */
function agentCaFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const path = env.INGOT_AGENT_CA_FILE?.trim();
  if (!path) return undefined;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`INGOT_AGENT_CA_FILE ${path} cannot be read: ${(error as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`INGOT_AGENT_CA_FILE ${path} holds no PEM certificate`);
  return pem;
}

function ramdiskFromEnv(env: NodeJS.ProcessEnv): ImageCacheConfig['ramdisk'] {
  const kernel = env.INGOT_AGENT_KERNEL || undefined;
  const initramfs = env.INGOT_AGENT_INITRAMFS || undefined;
  if (!kernel && !initramfs) return undefined;
  if (!kernel || !initramfs)
    throw new Error(
      'Set both INGOT_AGENT_KERNEL and INGOT_AGENT_INITRAMFS (the files bash scripts/build-agent-ramdisk.sh writes), or neither',
    );
  return { kernel, initramfs };
}
