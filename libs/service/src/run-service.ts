import {
  createLogger,
  startOpsServer,
  startTelemetry,
  type HealthReport,
  type Logger,
} from '@ingot/telemetry';

export interface StartedService {
  stop(): Promise<void>;
  /** Served on /healthz of the ops port, for services without an HTTP server of their own. */
  health?(): Promise<HealthReport>;
}

/**
 * A service process's frame: OpenTelemetry, the JSON logger, the service itself, its ops
 * endpoint (/healthz, /metrics), and a graceful stop on SIGTERM or SIGINT.
 */
export async function runService(opts: {
  serviceName: string;
  logName: string;
  ops?: { port: number; host: string };
  start(logger: Logger): Promise<StartedService>;
}): Promise<void> {
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
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, `stopping ${opts.logName}`);
      void (async () => {
        await service.stop();
        await ops?.close();
        await telemetry.shutdown();
        process.exit(0);
      })();
    });
  }
}
