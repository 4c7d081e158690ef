import { runService } from '@ingot/service';
import { imageCacheConfigFromEnv } from './config.js';
import { startImageCache } from './service.js';

const config = imageCacheConfigFromEnv();
await runService({
  serviceName: 'ingot-imagecache',
  logName: 'imagecache',
  // /healthz and /metrics are served by the image server itself; INGOT_OPS_PORT is not used.
  start: async (logger) => {
    const cache = await startImageCache(config, logger);
    logger.info({ port: cache.httpPort, url: cache.publicUrl }, 'image server listening');
    return { stop: (graceMs) => cache.stop(graceMs), settings: () => cache.settings() };
  },
});
