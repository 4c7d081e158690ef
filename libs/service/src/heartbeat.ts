import { hostname } from 'node:os';
import { RetentionPolicy, StorageType, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { subjectsFor, type BusOptions } from '@ingot/bus';
import type { ServiceHeartbeat } from '@ingot/contracts';
import type { Logger } from '@ingot/telemetry';
import { siteFromEnv } from './env.js';
import { currentStatus } from './service-status.js';

/** How long the stream keeps an instance's last heartbeat: a stopped one is reported this long. */
const HEARTBEAT_RETENTION_MS = 3_600_000;

export interface Heartbeat {
  /** Publishes the last heartbeat (state `stopped`) and closes its connection. */
  stop(): Promise<void>;
}

/**
 * Publishes this process's heartbeat every `intervalMs` on its own NATS connection, started
 * before the service so that a service waiting for PostgreSQL says so, and reconnecting forever
 * (a NATS that comes up after the service is found then). Core publishes: the heartbeat stream
 * keeps the last one per instance; one lost while NATS is away is replaced by the next.
 */
export function startHeartbeat(opts: {
  service: string;
  bus: BusOptions;
  intervalMs: number;
  logger: Logger;
  /** The settings nodes are handed (read at each beat: some are known only once the service runs). */
  settings: () => Record<string, unknown>;
}): Heartbeat {
  const subjects = subjectsFor(opts.bus.prefix);
  const site = siteFromEnv(process.env);
  const instance = `${hostname()}-${process.pid}`;
  const subject = subjects.heartbeat(site, opts.service, instance);
  const startedAt = new Date().toISOString();
  const encoder = new TextEncoder();
  let nc: NatsConnection | undefined;
  let stopped = false;

  const beat = (state?: ServiceHeartbeat['state']) => {
    if (!nc || nc.isClosed()) return;
    const status = currentStatus();
    const heartbeat: ServiceHeartbeat = {
      service: opts.service,
      site,
      instance,
      state: state ?? status.state,
      ...(status.waitingFor && !state ? { waiting_for: status.waitingFor } : {}),
      started_at: startedAt,
      sent_at: new Date().toISOString(),
      interval_ms: opts.intervalMs,
      settings: safeSettings(opts.settings),
    };
    nc.publish(subject, encoder.encode(JSON.stringify(heartbeat)));
  };

  // The stream lives in memory: a restarted NATS server has lost it, so it is made again.
  const remakeStreamOnReconnect = async (connection: NatsConnection) => {
    for await (const status of connection.status()) {
      if (status.type !== 'reconnect') continue;
      await ensureHeartbeatStream(
        connection,
        subjects.heartbeatStream,
        subjects.heartbeats(),
      ).catch((error: unknown) =>
        opts.logger.warn({ err: String(error) }, 'could not recreate the heartbeat stream'),
      );
      beat();
    }
  };

  const connected = (async () => {
    const connection = await connect({
      servers: opts.bus.servers ?? 'nats://127.0.0.1:4222',
      name: `${opts.service}-heartbeat`,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
    });
    if (stopped) {
      await connection.close();
      return;
    }
    nc = connection;
    await ensureHeartbeatStream(connection, subjects.heartbeatStream, subjects.heartbeats());
    beat();
    void remakeStreamOnReconnect(connection);
  })().catch((error: unknown) =>
    opts.logger.warn({ err: String(error) }, 'heartbeat could not start; the doctor will miss it'),
  );
  const timer = setInterval(() => beat(), opts.intervalMs);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      if (!nc || nc.isClosed()) return;
      beat('stopped');
      await nc.drain().catch(() => nc?.close());
    },
  };
}

function safeSettings(settings: () => Record<string, unknown>): Record<string, unknown> {
  try {
    return settings();
  } catch {
    return {};
  }
}

/** Memory storage, last message per instance, an hour's retention: small whatever the fleet. */
export async function ensureHeartbeatStream(
  nc: NatsConnection,
  name: string,
  subject: string,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = {
    name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.Memory,
    max_msgs_per_subject: 1,
    max_age: HEARTBEAT_RETENTION_MS * 1_000_000,
  };
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (!/already in use|already exists/i.test(String(error))) throw error;
  }
}
