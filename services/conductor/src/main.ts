import { runService } from '@ingot/service';
import { secretBoxFromEnv } from '@ingot/store';
import { closeAgentConnections } from './agent-tls.js';
import { conductorConfigFromEnv } from './config.js';
import { startConductor } from './conductor.js';

const config = conductorConfigFromEnv();
await runService({
  serviceName: 'ingot-conductor',
  logName: 'conductor',
  ops: { port: config.opsPort, host: config.opsHost },
  start: async (logger) => {
    const conductor = await startConductor(config, secretBoxFromEnv(), logger);
    return {
      stop: async (graceMs) => {
        await conductor.stop(graceMs);
        await closeAgentConnections();
      },
      settings: () => ({ agent_api_url: config.agentApiUrl }),
      health: async () => ({
        ok: !conductor.ctx.bus.nc.isClosed(),
        details: { leases: conductor.ctx.leases.heldCount() },
      }),
    };
  },
});
