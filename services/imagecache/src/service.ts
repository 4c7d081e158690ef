import {
  ImageCacheCommandSchema,
  type ImageCacheCommand,
  type ImageCacheReply,
  type ImageErrorKind,
} from '@ingot/contracts';
import { statfsSync } from 'node:fs';
import { siteToken, startResponder, type Bus } from '@ingot/bus';
import { connectBus } from '@ingot/service';
import type { Logger } from '@ingot/telemetry';
import { BootIsoStore } from './boot-isos.js';
import { runImageCacheCommand } from './commands.js';
import type { ImageCacheConfig } from './config.js';
import { AGENT_INITRAMFS_PATH, AGENT_KERNEL_PATH, startHttpServer } from './http-server.js';
import { ImageIndex } from './image-index.js';
import { ImagePreparer } from './image-preparer.js';
import { commands } from './metrics.js';
import { CommandJournal } from './command-journal.js';
import { PxeConfigStore } from './pxe-configs.js';

export interface RunningImageCache {
  /** Bound port of the image server (useful with port 0). */
  httpPort: number;
  /** Base URL put in replies. */
  publicUrl: string;
  /** Base URL of the boot ISO URLs handed to BMCs. */
  bmcUrl: string;
  /** The work queue this instance consumes. */
  subject: string;
  bus: Bus;
  /** Stops within about `graceMs`: unfinished commands go back to the stream (RunningConsumer.stop). */
  stop(graceMs?: number): Promise<void>;
  /** What nodes and BMCs are handed, and the disk use, for the heartbeat (GET /v1/doctor). */
  settings(): Record<string, unknown>;
}

/** `<prefix>.cmd.<site>.imagecache`, the image caches' work queue of one site. */
export const imageCacheSubject = (bus: Bus, site: string): string =>
  `${bus.subjects.prefix}.cmd.${siteToken(site)}.imagecache`;

/** Starts the image cache of one site: its image server and its bus consumer. */
export async function startImageCache(
  config: ImageCacheConfig,
  logger: Logger,
): Promise<RunningImageCache> {
  const index = await ImageIndex.open(config.dir, config.budgetBytes, logger);
  const preparer = await ImagePreparer.create(index, config, logger);
  const bootIsos = await BootIsoStore.open(config.dir, logger, {
    ramdisk: config.ramdisk,
    agentCa: config.agentCa,
  });
  const pxeConfigs = await PxeConfigStore.open(config.dir, logger);
  const journal = await CommandJournal.open(config.dir, logger);
  const pruneJournal = setInterval(() => {
    journal
      .prune()
      .catch((error: unknown) =>
        logger.warn({ err: String(error) }, 'could not prune the command journal; will retry'),
      );
  }, 600_000);
  pruneJournal.unref();
  const bus = await connectBus(config.bus, logger);
  let publicUrl = config.publicUrl ?? '';
  const ipxe = { ...config.ipxe };
  const served = { images: index, bootIsos, pxeConfigs, ipxe, logger };
  const healthy = () => !bus.nc.isClosed();
  const http = await startHttpServer({
    ...served,
    host: config.host,
    port: config.port,
    tls: config.tls,
    publicUrl: () => publicUrl,
    healthy,
  }).catch(async (error: unknown) => {
    await bus.close();
    throw error;
  });
  // Set in the microtasks after the listen callback, before any request can be read.
  publicUrl =
    config.publicUrl ?? `${config.tls ? 'https' : 'http'}://${urlHost(config.host)}:${http.port}`;
  // Firmware cannot verify this cache's certificate (a BMC reading virtual media, iPXE): beside
  // HTTPS it may get the same files in plain HTTP, as Ironic keeps external_http_url apart.
  let firmwareUrl = publicUrl;
  const plain =
    config.httpPort === undefined
      ? undefined
      : await startHttpServer({
          ...served,
          host: config.host,
          port: config.httpPort,
          publicUrl: () => firmwareUrl,
          healthy,
        }).catch(async (error: unknown) => {
          await http.close();
          await bus.close();
          throw error;
        });
  if (plain) firmwareUrl = `http://${urlHost(config.host)}:${plain.port}`;
  if (config.ramdisk) {
    ipxe.kernelUrl ??= `${firmwareUrl}${AGENT_KERNEL_PATH}`;
    ipxe.initrdUrl ??= `${firmwareUrl}${AGENT_INITRAMFS_PATH}`;
  }
  const bmcUrl = config.bmcUrl ?? firmwareUrl;
  const subject = imageCacheSubject(bus, config.site);

  async function answer(cmd: ImageCacheCommand): Promise<ImageCacheReply> {
    const changesBoot = CHANGES_BOOT.has(cmd.type);
    const earlier = changesBoot ? journal.answered(cmd.id) : undefined;
    if (earlier) {
      logger.warn(
        { node: cmd.node_uuid, type: cmd.type, command: cmd.id },
        'image cache command delivered again after it was carried out; answering as before',
      );
      commands.inc({ type: cmd.type, outcome: 'duplicate' });
      return earlier;
    }
    const reply = await runImageCacheCommand(cmd, {
      preparer,
      bootIsos,
      pxeConfigs,
      ipxe,
      publicUrl: () => publicUrl,
      bmcUrl: () => bmcUrl,
    });
    if (changesBoot && reply.ok) await journal.record(cmd.id, reply);
    commands.inc({ type: cmd.type, outcome: reply.ok ? 'ok' : reply.error.kind });
    if (!reply.ok && reply.error.kind !== 'in_progress')
      logger.info(
        { node: cmd.node_uuid, type: cmd.type, kind: reply.error.kind, err: reply.error.message },
        'image cache command failed',
      );
    return reply;
  }

  const consumer = await startResponder(bus, {
    durable: `imagecache-${siteToken(config.site)}`,
    subject,
    schema: ImageCacheCommandSchema,
    what: 'image cache command',
    logger,
    concurrency: config.concurrency,
    ackWaitMs: config.ackWaitMs,
    maxDeliver: config.maxDeliver,
    answer,
    giveUpAnswer: (cmd, reason): ImageCacheReply => ({
      command_id: cmd.id,
      ok: false,
      error: { kind: giveUpKind[cmd.type], message: `the image cache ${reason}` },
    }),
    // An expired command is not carried out: a late download would only fill the disk.
    onExpired: (cmd) => commands.inc({ type: cmd.type, outcome: 'expired' }),
  }).catch(async (error: unknown) => {
    await http.close();
    await plain?.close();
    await bus.close();
    throw error;
  });
  logger.info(
    { site: siteToken(config.site), url: publicUrl, bmc_url: bmcUrl, dir: config.dir },
    'image cache started',
  );

  return {
    httpPort: http.port,
    publicUrl,
    bmcUrl,
    subject,
    bus,
    settings: () => ({
      public_url: publicUrl,
      bmc_url: bmcUrl,
      ipxe_kernel_url: ipxe.kernelUrl ?? null,
      ipxe_initrd_url: ipxe.initrdUrl ?? null,
      ipa_api_url: ipxe.apiUrl,
      budget_bytes: config.budgetBytes,
      used_bytes: index.usedBytes(),
      disk_free_bytes: diskFreeBytes(config.dir),
    }),
    async stop(graceMs?: number) {
      clearInterval(pruneJournal);
      await consumer.stop(graceMs);
      await Promise.all([http.close(), plain?.close()]);
      await index.flush();
      await bus.close();
    },
  };
}

/** Commands that change what a node boots: carried out at most once per id (CommandJournal). */
const CHANGES_BOOT = new Set<ImageCacheCommand['type']>([
  'image.boot_iso',
  'image.pxe_config',
  'image.pxe_clear',
]);

const giveUpKind = {
  'image.prepare': 'download',
  'image.boot_iso': 'iso',
  'image.pxe_config': 'pxe',
  'image.pxe_clear': 'pxe',
} as const satisfies Record<ImageCacheCommand['type'], ImageErrorKind>;

/** Bytes an unprivileged writer may still put on the cache's file system (null if unreadable). */
function diskFreeBytes(dir: string): number | null {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

/** An IPv6 literal needs brackets in a URL; a wildcard address is no use to a client. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
