import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { metricsContentType, metricsText, type Logger } from '@ingot/telemetry';
import type { BootIsoStore } from './boot-isos.js';
import type { ImageIndex } from './image-index.js';
import {
  agentScript,
  BOOT_SCRIPT_PATH,
  bootScript,
  macFromHexhyp,
  nextDeviceScript,
  type IpxeSettings,
} from './ipxe.js';
import { bytesServed } from './metrics.js';
import type { PxeConfigStore } from './pxe-configs.js';
import { sendContent, sendFile, spliceContent } from './send-file.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Serve HTTPS only, with this certificate chain and key. */
  tls?: { cert: string; key: string };
  images: ImageIndex;
  bootIsos: BootIsoStore;
  pxeConfigs: PxeConfigStore;
  ipxe: IpxeSettings;
  /** Base URL of this listener as clients reach it (for the chain in boot.ipxe). */
  publicUrl: () => string;
  healthy: () => boolean;
  logger: Logger;
}

export interface RunningHttpServer {
  port: number;
  close(): Promise<void>;
}

// Routes match the raw path, so %-escapes, "..", and extra slashes never reach the file system.
const IMAGE = /^\/images\/([0-9a-f]{64})\.raw$/;
const BOOT_ISO = /^\/boot\/([A-Za-z0-9_-]{1,64}-[0-9a-f]{16})\.iso$/;
export const AGENT_KERNEL_PATH = '/agent/agent.kernel';
export const AGENT_INITRAMFS_PATH = '/agent/agent.initramfs';
const MAC_SCRIPT = /^\/ipxe\/([0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5})\.ipxe$/;

/** A long transfer gets this long to finish after stop() before its connection is cut. */
const DRAIN_MS = 5_000;

/** Serves raw images, boot ISOs, iPXE scripts, /healthz and /metrics. GET and HEAD only. */
export function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    route(req, res, opts).catch((error: unknown) => {
      opts.logger.error({ err: String(error), url: req.url }, 'image server request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    });
  };
  const server = opts.tls ? createTlsServer({ ...opts.tls }, listener) : createServer(listener);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            const cut = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
            server.close(() => {
              clearTimeout(cut);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}

const text = (res: ServerResponse, status: number, body: string, headers = {}) =>
  res
    .writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers })
    .end(res.req.method === 'HEAD' ? undefined : body);

async function route(req: IncomingMessage, res: ServerResponse, opts: HttpServerOptions) {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return text(res, 405, 'only GET and HEAD\n', { allow: 'GET, HEAD' });

  const image = IMAGE.exec(path)?.[1];
  if (image) return serveImage(req, res, opts.images, image);
  const iso = BOOT_ISO.exec(path)?.[1];
  if (iso) return serveBootIso(req, res, opts.bootIsos, iso);
  if (path === AGENT_KERNEL_PATH) return serveRamdiskFile(req, res, opts.bootIsos, 'kernel');
  if (path === AGENT_INITRAMFS_PATH) return serveRamdiskFile(req, res, opts.bootIsos, 'initramfs');
  if (path === BOOT_SCRIPT_PATH) return sendScript(res, 200, bootScript(opts.publicUrl()));
  const hexhyp = MAC_SCRIPT.exec(path)?.[1];
  const mac = hexhyp === undefined ? undefined : macFromHexhyp(hexhyp);
  if (mac) return serveMacScript(res, opts, mac);
  if (path === '/healthz') {
    const ok = opts.healthy();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable' }));
  }
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': metricsContentType });
    return res.end(await metricsText());
  }
  return text(res, 404, 'not found\n');
}

/** Scripts follow the node's state: no client or proxy may keep one. */
const sendScript = (res: ServerResponse, status: number, body: string) =>
  text(res, status, body, { 'cache-control': 'no-store' });

function serveMacScript(res: ServerResponse, opts: HttpServerOptions, mac: string) {
  const config = opts.pxeConfigs.get(mac);
  if (!config) return sendScript(res, 200, nextDeviceScript(mac));
  const { kernelUrl, initrdUrl, apiUrl } = opts.ipxe;
  // Configs are refused without these; they can only be missing after a restart without them.
  if (!kernelUrl || !initrdUrl)
    return sendScript(
      res,
      503,
      'iPXE boot is not configured: set INGOT_IPXE_KERNEL_URL and INGOT_IPXE_INITRD_URL\n',
    );
  return sendScript(res, 200, agentScript(config, { kernelUrl, initrdUrl }, apiUrl));
}

async function serveImage(
  req: IncomingMessage,
  res: ServerResponse,
  images: ImageIndex,
  sha256: string,
): Promise<void> {
  const file = images.useFile(sha256);
  if (!file) return void text(res, 404, 'not found\n');
  // Pinned for the whole transfer, so eviction never pulls an image from under a reader.
  const release = images.pin(sha256);
  try {
    const sent = await sendFile(req, res, {
      path: file.path,
      sha256,
      contentType: 'application/octet-stream',
      // Content-addressed: the bytes at this URL never change.
      cacheControl: 'public, max-age=31536000, immutable',
    });
    if (sent === false) return void text(res, 404, 'not found\n');
    bytesServed.inc({ kind: 'image' }, sent);
  } finally {
    release();
  }
}

async function serveBootIso(
  req: IncomingMessage,
  res: ServerResponse,
  bootIsos: BootIsoStore,
  name: string,
): Promise<void> {
  const iso = bootIsos.lookup(name);
  const { base } = bootIsos;
  const content =
    iso && (await spliceContent(base.path, [{ offset: base.config.offset, bytes: iso.config }]));
  if (!iso || !content) return void text(res, 404, 'not found\n');
  const sent = await sendContent(req, res, {
    content,
    sha256: iso.sha256,
    contentType: 'application/x-iso9660-image',
    // It holds an agent token: no proxy or client cache keeps a copy.
    cacheControl: 'no-store',
  });
  bytesServed.inc({ kind: 'boot_iso' }, sent);
}

/** The agent kernel or initramfs for iPXE: the very bytes of the base boot ISO's file. */
async function serveRamdiskFile(
  req: IncomingMessage,
  res: ServerResponse,
  bootIsos: BootIsoStore,
  which: 'kernel' | 'initramfs',
): Promise<void> {
  const { base } = bootIsos;
  const file = base[which];
  const content = file && (await spliceContent(base.path, [{ window: file }]));
  if (!file || !content) return void text(res, 404, 'no agent ramdisk is configured\n');
  const sent = await sendContent(req, res, {
    content,
    sha256: file.sha256,
    contentType: 'application/octet-stream',
    cacheControl: 'no-cache',
  });
  bytesServed.inc({ kind: 'ramdisk' }, sent);
}
