import { InspectionProcessSchema } from '@ingot/contracts';
import { siteToken, startConsumer, type Bus } from '@ingot/bus';
import { openInfrastructure } from '@ingot/service';
import type { SecretBox } from '@ingot/store';
import type { Logger } from '@ingot/telemetry';
import type { InspectorConfig } from './config.js';
import { processInventory, reportUnprocessable } from './process-inventory.js';

export interface RunningInspector {
  bus: Bus;
  /** Stops within about `graceMs`: unfinished commands go back to the stream (RunningConsumer.stop). */
  stop(graceMs?: number): Promise<void>;
}

/** Starts an inspector of one site: it consumes the site's inventories and relays its results. */
export async function startInspector(
  config: InspectorConfig,
  secrets: SecretBox,
  logger: Logger,
): Promise<RunningInspector> {
  const infra = await openInfrastructure({
    name: config.id,
    databaseUrl: config.databaseUrl,
    bus: config.bus,
    logger,
    relay: true,
  });
  const { database, bus } = infra;
  const consumer = await startConsumer(bus, {
    durable: `inspector-${siteToken(config.site)}`,
    subject: bus.subjects.inspector(config.site),
    schema: InspectionProcessSchema,
    what: 'inventory',
    logger,
    ackWaitMs: config.ackWaitMs,
    onGiveUp: (cmd, error) =>
      reportUnprocessable(
        database.db,
        bus.subjects,
        cmd,
        error instanceof Error ? error.message : String(error),
      ),
    concurrency: config.concurrency,
    handle: (cmd) =>
      processInventory(database.db, bus.subjects, cmd, { addPorts: config.addPorts, secrets }),
  });
  logger.info({ inspector: config.id, site: config.site || 'default' }, 'inspector started');
  return {
    bus,
    async stop(graceMs?: number) {
      await consumer.stop(graceMs);
      await infra.close();
    },
  };
}
