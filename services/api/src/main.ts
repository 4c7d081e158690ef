import { settlesWithin } from '@ingot/bus';
import { runService, openInfrastructure } from '@ingot/service';
import { secretBoxFromEnv } from '@ingot/store';
import { buildApp } from './app.js';
import { apiConfigFromEnv } from './config.js';

const config = apiConfigFromEnv();
await runService({
  serviceName: 'ingot-api',
  logName: 'api',
  // The API serves /healthz and /metrics itself.
  start: async (logger) => {
    const secrets = secretBoxFromEnv();
    const infra = await openInfrastructure({
      name: 'ingot-api',
      databaseUrl: config.databaseUrl,
      bus: config.bus,
      logger,
      relay: true,
      poolSize: 20,
    });
    const app = await buildApp({ db: infra.database.db, bus: infra.bus, secrets }, logger, {
      heartbeatTimeoutS: config.heartbeatTimeoutS,
      inspectionTokenRequired: config.inspectionTokenRequired,
      bmcWaitMs: config.bmcWaitMs,
      https: config.tls,
      agentRequireTls: config.agentRequireTls,
      trustProxy: config.trustProxy,
    });
    await app.listen({ host: config.host, port: config.port });
    return {
      async stop(graceMs) {
        // Requests in hand get the grace period (a BMC call may wait for its answer); then the
        // connections are cut, and the client retries elsewhere.
        if (!(await settlesWithin(app.close(), graceMs))) app.server.closeAllConnections();
        await infra.close();
      },
    };
  },
});
