import { hostname } from 'node:os';
import { eq } from 'drizzle-orm';
import { ConductorCommandSchema } from '@ingot/contracts';
import {
  DEFAULT_STOP_GRACE_MS,
  Requester,
  settlesWithin,
  siteToken,
  startConsumer,
  type CommandReply,
  type RunningConsumer,
} from '@ingot/bus';
import { openInfrastructure } from '@ingot/service';
import { conductors, type SecretBox } from '@ingot/store';
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
  /** Stops within about `graceMs` (see the steps in the implementation). */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a conductor of one site: consumes the site's conductor commands and sweeps its nodes. */
export async function startConductor(
  config: ConductorConfig,
  secrets: SecretBox,
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
    secrets,
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
    async stop(graceMs = DEFAULT_STOP_GRACE_MS) {
      const deadline = Date.now() + graceMs;
      // 1. No new work; the work in hand gets the grace period. Commands still unfinished then go
      // back to the stream for another conductor (a step may wait 30 min for an image).
      const background = Promise.all([sweeper.stop(), powerSync.stop()]);
      await consumer.stop(graceMs);
      await settlesWithin(background, Math.max(0, deadline - Date.now()));
      // 2. The nodes still leased are released so that the other conductor's redelivered command
      // or sweep takes them now; tasks still waiting for a BMC or image reply fail at once.
      await leases.close();
      requester.close('the conductor is stopping');
      await database.db
        .delete(conductors)
        .where(eq(conductors.id, config.id))
        .catch(() => undefined);
      await infra.close();
    },
  };
}
