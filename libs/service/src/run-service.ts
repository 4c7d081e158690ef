import { DEFAULT_STOP_GRACE_MS } from '@ingot/bus';
import {
  createLogger,
  startOpsServer,
  startTelemetry,
  type HealthReport,
  type Logger,
} from '@ingot/telemetry';
import { intFromEnv } from './env.js';

export interface StartedService {
  /**
   * Stops taking work, lets the work in hand finish within `graceMs`, hands back what did not
   * (another replica takes it at once), and closes its connections.
   */
  stop(graceMs: number): Promise<void>;
  /** Served on /healthz of the ops port, for services without an HTTP server of their own. */
  health?(): Promise<HealthReport>;
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
  const service = await opts.start(logger);
  const health = service.health;
  const ops =
    opts.ops && health
      ? await startOpsServer({
          port: opts.ops.port,
          host: opts.ops.host,
          health: () => health.call(service),
        })
      : undefined;
  if (ops) logger.info({ ops_port: ops.port }, `${opts.logName} ops endpoint listening`);

  let stopping = false;
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
      await service.stop(graceMs);
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
}
