export { startImageCache, imageCacheSubject } from './service.js';
export type { RunningImageCache } from './service.js';
export { imageCacheConfigFromEnv } from './config.js';
export type { ImageCacheConfig } from './config.js';
export { BOOT_ISO_VOLUME_ID } from './boot-isos.js';
