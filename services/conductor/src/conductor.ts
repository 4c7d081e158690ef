import { hostname } from 'node:os';
import { eq } from 'drizzle-orm';
import { ConductorCommandSchema } from '@ingot/contracts';
import {
  Requester,
  siteToken,
  startConsumer,
  type CommandReply,
  type RunningConsumer,
} from '@ingot/bus';
import { openInfrastructure } from '@ingot/service';
import { conductors } from '@ingot/store';
import type { Logger } from '@ingot/telemetry';
import { BmcCaller } from './bmc-caller.js';
import { ImageCaller } from './image-caller.js';
import type { ConductorConfig } from './config.js';
import { type ConductorContext } from './context.js';
import { recordGiveUp } from './handlers/give-up.js';
import { dispatch } from './handlers/dispatch.js';
import { NodeLeases } from './node-lease.js';
import { PowerSync } from './power-sync.js';
import { Sweeper } from './sweeper.js';

export interface RunningConductor {
  ctx: ConductorContext;
  stop(): Promise<void>;
}

/** Starts a conductor of one site: consumes the site's conductor commands and sweeps its nodes. */
export async function startConductor(
  config: ConductorConfig,
  logger: Logger,
): Promise<RunningConductor> {
  const infra = await openInfrastructure({
    name: config.id,
    databaseUrl: config.databaseUrl,
    bus: config.bus,
    logger,
    relay: true,
    poolSize: 20,
  });
  const { database, bus } = infra;
  await database.db
    .insert(conductors)
    .values({
      id: config.id,
      hostname: hostname(),
      conductorGroup: config.site,
      service: 'conductor',
    })
    .onConflictDoUpdate({ target: conductors.id, set: { heartbeatAt: new Date() } });

  const leases = new NodeLeases({
    db: database.db,
    owner: config.id,
    ttlMs: config.leaseTtlMs,
    logger,
  });
  // One reply subject for the answers of the site's power workers and image cache.
  const requester = new Requester<CommandReply>(bus, config.id);
  const ctx: ConductorContext = {
    config,
    db: database.db,
    bus,
    leases,
    bmc: new BmcCaller(requester, bus, config.bmcReplyTimeoutMs),
    images: new ImageCaller(requester, bus, config.imageReplyTimeoutMs),
    logger,
  };
  const sweeper = new Sweeper(ctx);
  sweeper.start();
  const powerSync = new PowerSync(ctx);
  powerSync.start();

  const consumer: RunningConsumer = await startConsumer(bus, {
    durable: `conductor-${siteToken(config.site)}`,
    subject: bus.subjects.conductor(config.site),
    schema: ConductorCommandSchema,
    what: 'conductor command',
    logger,
    ackWaitMs: config.ackWaitMs,
    maxDeliver: config.maxDeliver,
    concurrency: config.concurrency,
    handle: (cmd, delivery) => dispatch(ctx, cmd, delivery),
    onGiveUp: (cmd, error, delivery) => recordGiveUp(ctx, cmd, error, delivery.deliveryCount),
  });
  logger.info({ conductor: config.id, site: config.site || 'default' }, 'conductor started');

  return {
    ctx,
    async stop() {
      await consumer.stop();
      await sweeper.stop();
      await powerSync.stop();
      leases.close();
      requester.close();
      await database.db
        .delete(conductors)
        .where(eq(conductors.id, config.id))
        .catch(() => undefined);
      await infra.close();
    },
  };
}
