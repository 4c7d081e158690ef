import { runService } from '@ingot/service';
import { secretBoxFromEnv } from '@ingot/store';
import { adapterConfigFromEnv } from './config.js';
import { startAdapter } from './service.js';

const config = adapterConfigFromEnv();
await runService({
  serviceName: 'ingot-k8s-adapter',
  logName: 'k8s-adapter',
  ops: { port: config.opsPort, host: config.opsHost },
  start: async (logger) => {
    const adapter = await startAdapter(config, secretBoxFromEnv(), logger);
    return {
      stop: () => adapter.stop(),
      // Healthy while connected; a follower is healthy too (it waits for the lease).
      health: async () => ({ ok: true, details: { leader: adapter.isLeader() } }),
    };
  },
});
