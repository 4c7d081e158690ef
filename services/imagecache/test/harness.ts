import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, ReplyWaiter } from '@ingot/bus';
import type { ImageCacheReply } from '@ingot/contracts';
import { createLogger } from '@ingot/telemetry';
import {
  imageCacheConfigFromEnv,
  imageCacheSubject,
  startImageCache,
  type ImageCacheConfig,
  type RunningImageCache,
} from '../src/index.js';

export const logger = createLogger('imagecache-test', { level: 'silent' });
export const sha = (algo: string, bytes: Buffer) => createHash(algo).update(bytes).digest('hex');

/** Deterministic, partly sparse test disk content (qemu-img keeps zeros sparse). */
export function diskBytes(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size / 2; i += 1) bytes[i] = (i * 31 + seed * 7) & 0xff;
  bytes.write(`ingot test disk ${seed}`, 0);
  return bytes;
}

/** An image origin on loopback that counts requests per path and sends bodies slowly. */
export class Origin {
  readonly requests = new Map<string, number>();
  private readonly files = new Map<string, Buffer>();
  private server!: Server;
  port = 0;

  static async start(): Promise<Origin> {
    const origin = new Origin();
    origin.server = createServer((req, res) => {
      const path = req.url ?? '/';
      origin.requests.set(path, (origin.requests.get(path) ?? 0) + 1);
      const body = origin.files.get(path);
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length });
      // Eight slices 25 ms apart: concurrent commands surely overlap the download.
      const slice = Math.ceil(body.length / 8);
      let sent = 0;
      const next = () => {
        if (sent >= body.length) return void res.end();
        res.write(body.subarray(sent, sent + slice));
        sent += slice;
        setTimeout(next, 25);
      };
      next();
    });
    await new Promise<void>((resolve) => origin.server.listen(0, '127.0.0.1', resolve));
    origin.port = (origin.server.address() as AddressInfo).port;
    return origin;
  }

  serve(path: string, body: Buffer): string {
    this.files.set(path, body);
    return this.url(path);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  count(path: string): number {
    return this.requests.get(path) ?? 0;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface Harness {
  cache: RunningImageCache;
  config: ImageCacheConfig;
  bus: Bus;
  send(
    type: 'image.prepare' | 'image.boot_iso' | 'image.pxe_config' | 'image.pxe_clear',
    payload: Record<string, unknown>,
    opts?: { node?: string; expiresInMs?: number; timeoutMs?: number; id?: string },
  ): Promise<ImageCacheReply>;
  /** Stops the image cache and starts a new one on the same directory and bus. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'imagecache-test-'));
  const config = imageCacheConfigFromEnv({
    INGOT_SITE: 'lab',
    INGOT_BUS_PREFIX: prefix,
    INGOT_IMAGECACHE_DIR: dir,
    INGOT_IMAGECACHE_PORT: '0',
    INGOT_DOWNLOAD_TIMEOUT_MS: '5000',
    ...env,
  });
  const bus = await Bus.connect({ prefix });
  const waiter = new ReplyWaiter<ImageCacheReply>(bus, `test-${prefix}`);
  let cache = await startImageCache(config, logger);
  const harness: Harness = {
    get cache() {
      return cache;
    },
    config,
    bus,
    async send(type, payload, opts = {}) {
      // A given id is a command sent again (a new stream message, as after a NATS restart).
      const id = opts.id ?? randomUUID();
      const now = Date.now();
      const reply = waiter.wait(
        id,
        opts.timeoutMs ?? 30_000,
        () => new Error(`no reply to ${type} ${id}`),
      );
      await bus.publish(
        imageCacheSubject(bus, 'lab'),
        {
          id,
          type,
          site: 'lab',
          node_uuid: opts.node ?? 'node-1',
          issued_at: new Date(now).toISOString(),
          expires_at: new Date(now + (opts.expiresInMs ?? 60_000)).toISOString(),
          payload,
        },
        { headers: { 'Ingot-Reply-To': waiter.subject } },
      );
      return reply;
    },
    async restart() {
      await cache.stop();
      cache = await startImageCache(config, logger);
    },
    async close() {
      await cache.stop().catch(() => undefined);
      waiter.close();
      for (const name of [bus.subjects.commandStream, bus.subjects.eventStream])
        await bus.jsm.streams.delete(name).catch(() => undefined);
      await bus.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

export const ok = (reply: ImageCacheReply) => {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.kind}: ${reply.error.message}`);
  return reply;
};

/** Status of a GET, reading the body so the connection does not hold the server open. */
export async function statusOf(url: string): Promise<number> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}
