import { Bus, type BusOptions } from '@ingot/bus';
import { migrateDatabase, openDatabase, OutboxRelay, type Database } from '@ingot/store';
import type { Logger } from '@ingot/telemetry';
import { intFromEnv } from './env.js';

export interface Infrastructure {
  database: Database;
  bus: Bus;
  close(): Promise<void>;
}

/**
 * What a service that keeps node facts needs: the migrated database, the bus, and (for services
 * that write the outbox) a relay publishing committed outbox rows to JetStream.
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
  await migrateDatabase(opts.databaseUrl);
  const database = openDatabase(opts.databaseUrl, {
    max: intFromEnv(process.env, 'INGOT_DB_POOL_SIZE', opts.poolSize ?? 10, 1),
    applicationName: opts.name,
  });
  const bus = await Bus.connect(opts.bus);
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
