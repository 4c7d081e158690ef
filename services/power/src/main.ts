import { runService } from '@ingot/service';
import { secretBoxFromEnv } from '@ingot/store';
import { powerConfigFromEnv } from './config.js';
import { startPowerWorker } from './worker.js';

const config = powerConfigFromEnv();
await runService({
  serviceName: 'ingot-power',
  logName: 'power',
  ops: { port: config.opsPort, host: config.opsHost },
  start: async (logger) => {
    const worker = await startPowerWorker(config, secretBoxFromEnv(), logger);
    return {
      stop: (graceMs) => worker.stop(graceMs),
      health: async () => ({ ok: !worker.bus.nc.isClosed() }),
    };
  },
});
