import { Bus, type BusOptions } from '@ingot/bus';
import { migrateDatabase, openDatabase, OutboxRelay, type Database } from '@ingot/store';
import type { Logger } from '@ingot/telemetry';
import { displayUrl } from './display-url.js';
import { intFromEnv } from './env.js';
import { isPassingBusError, isPassingDatabaseError, untilAvailable } from './until-available.js';

export interface Infrastructure {
  database: Database;
  bus: Bus;
  close(): Promise<void>;
}

/**
 * What a service that keeps node facts needs: the migrated database, the bus, and (for services
 * that write the outbox) a relay publishing committed outbox rows to JetStream. PostgreSQL or NATS
 * not up yet is waited for (untilAvailable), so a service may start before them.
 */
export async function openInfrastructure(opts: {
  name: string;
  databaseUrl: string;
  bus: BusOptions;
  logger: Logger;
  relay: boolean;
  /** The service's default; INGOT_DB_POOL_SIZE overrides it (PostgreSQL's connections are few). */
  poolSize?: number;
}): Promise<Infrastructure> {
  await untilAvailable({
    what: `PostgreSQL at ${displayUrl(opts.databaseUrl)}`,
    attempt: () => migrateDatabase(opts.databaseUrl),
    retryable: isPassingDatabaseError,
    logger: opts.logger,
  });
  const database = openDatabase(opts.databaseUrl, {
    max: intFromEnv(process.env, 'INGOT_DB_POOL_SIZE', opts.poolSize ?? 10, 1),
    applicationName: opts.name,
  });
  const bus = await connectBus(opts.bus, opts.logger).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  const relay = opts.relay
    ? new OutboxRelay({
        db: database.db,
        url: opts.databaseUrl,
        publish: async (m) => {
          await bus.publish(m.subject, m.payload, { msgId: m.id, headers: m.headers });
        },
        onError: (error) =>
          opts.logger.warn({ err: String(error) }, 'outbox relay error; will retry'),
      })
    : undefined;
  await relay?.start();
  return {
    database,
    bus,
    async close() {
      await relay?.stop();
      await bus.close();
      await database.close();
    },
  };
}

/** Bus.connect, waiting for a NATS server that is not up yet (services need no start order). */
export function connectBus(options: BusOptions, logger: Logger): Promise<Bus> {
  const servers = [options.servers ?? 'nats://127.0.0.1:4222'].flat().map(displayUrl);
  return untilAvailable({
    what: `NATS at ${servers.join(', ')}`,
    attempt: () => Bus.connect(options),
    retryable: isPassingBusError,
    logger,
  });
}
