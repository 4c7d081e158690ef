import { runService } from '@ingot/service';
import { secretBoxFromEnv } from '@ingot/store';
import { inspectorConfigFromEnv } from './config.js';
import { startInspector } from './service.js';

const config = inspectorConfigFromEnv();
await runService({
  serviceName: 'ingot-inspector',
  logName: 'inspector',
  ops: { port: config.opsPort, host: config.opsHost },
  start: async (logger) => {
    const inspector = await startInspector(config, secretBoxFromEnv(), logger);
    return {
      stop: (graceMs) => inspector.stop(graceMs),
      health: async () => ({ ok: !inspector.bus.nc.isClosed() }),
    };
  },
});
