import { busOptionsFromEnv, DEFAULT_STOP_GRACE_MS } from '@ingot/bus';
import {
  createLogger,
  startOpsServer,
  startTelemetry,
  type HealthReport,
  type Logger,
} from '@ingot/telemetry';
import { intFromEnv } from './env.js';
import { startHeartbeat } from './heartbeat.js';
import { reportState } from './service-status.js';

export interface StartedService {
  /**
   * Stops taking work, lets the work in hand finish within `graceMs`, hands back what did not
   * (another replica takes it at once), and closes its connections.
   */
  stop(graceMs: number): Promise<void>;
  /** Served on /healthz of the ops port, for services without an HTTP server of their own. */
  health?(): Promise<HealthReport>;
  /**
   * The settings this service hands to nodes (URLs, iPXE files) and its disk use, put in its
   * heartbeat for the doctor, which checks them from where nodes stand.
   */
  settings?(): Record<string, unknown>;
}

/** What closing connections and flushing telemetry may take after the grace period. */
const STOP_OVERRUN_MS = 5_000;

/**
 * A service process's frame: OpenTelemetry, the JSON logger, the service itself, its ops
 * endpoint (/healthz, /metrics), and a graceful stop on SIGTERM or SIGINT (or, with
 * INGOT_STOP_WITH_STDIN=1, when stdin closes) that is bounded: the service gets
 * INGOT_STOP_GRACE_MS (default 10 s) for its work in hand, and the process exits at the latest a
 * few seconds after that, whatever still hangs.
 */
export async function runService(opts: {
  serviceName: string;
  logName: string;
  ops?: { port: number; host: string };
  start(logger: Logger): Promise<StartedService>;
}): Promise<void> {
  const graceMs = intFromEnv(process.env, 'INGOT_STOP_GRACE_MS', DEFAULT_STOP_GRACE_MS);
  const telemetry = await startTelemetry({ serviceName: opts.serviceName });
  const logger = createLogger(opts.logName);
  // Before the service, so that one waiting for PostgreSQL or NATS says so (GET /v1/doctor).
  // Set once the service runs (the heartbeat and stop() start before it).
  const running: { service?: StartedService } = {};
  const heartbeat = startHeartbeat({
    service: opts.logName,
    bus: busOptionsFromEnv(process.env),
    intervalMs: intFromEnv(process.env, 'INGOT_HEARTBEAT_INTERVAL_MS', 5_000, 100),
    logger,
    settings: () => running.service?.settings?.() ?? {},
  });
  let stopping = false;
  let ops: Awaited<ReturnType<typeof startOpsServer>> | undefined;
  const stop = (why: Record<string, unknown>) => {
    if (stopping) return;
    stopping = true;
    logger.info({ ...why, grace_ms: graceMs }, `stopping ${opts.logName}`);
    // The last resort: connections that will not close must not keep a stopped service alive.
    setTimeout(() => {
      logger.error({ grace_ms: graceMs }, `${opts.logName} did not stop in time; exiting`);
      process.exit(1);
    }, graceMs + STOP_OVERRUN_MS).unref();
    void (async () => {
      // A service still waiting for its dependencies has no work in hand: it just goes.
      await running.service?.stop(graceMs);
      reportState('stopped');
      await heartbeat.stop();
      await ops?.close();
      await telemetry.shutdown();
      process.exit(0);
    })();
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop({ signal }));
  // A supervisor that starts us with a pipe on stdin (the lab, tests) can die without a chance to
  // signal us; the pipe's end then stops us, so no orphan keeps its connections and consumers.
  if (process.env.INGOT_STOP_WITH_STDIN === '1') {
    process.stdin.on('end', () => stop({ reason: 'stdin closed' }));
    process.stdin.on('error', () => stop({ reason: 'stdin failed' }));
    process.stdin.resume();
  }
  const service = await opts.start(logger);
  running.service = service;
  reportState('ready');
  const health = service.health;
  if (opts.ops && health) {
    ops = await startOpsServer({
      port: opts.ops.port,
      host: opts.ops.host,
      health: () => health.call(service),
    });
    logger.info({ ops_port: ops.port }, `${opts.logName} ops endpoint listening`);
  }
}
