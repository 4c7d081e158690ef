import { counter, gauge } from '@ingot/telemetry';

export const downloads = counter(
  'ingot_imagecache_downloads_total',
  'Images fetched from their origin, by outcome (ok or the error kind)',
  ['outcome'],
);
export const cacheHits = counter(
  'ingot_imagecache_cache_hits_total',
  'image.prepare commands answered from the cache, or by joining a download under way',
  ['how'],
);
export const bytesServed = counter(
  'ingot_imagecache_served_bytes_total',
  'Bytes sent to agents and BMCs, by kind of file',
  ['kind'],
);
export const cacheBytes = gauge('ingot_imagecache_size_bytes', 'Bytes of raw images in the cache');
export const cacheImages = gauge('ingot_imagecache_images', 'Raw images in the cache');
export const evictions = counter(
  'ingot_imagecache_evictions_total',
  'Images removed to keep the cache within its budget',
);
export const commands = counter(
  'ingot_imagecache_commands_total',
  'Image cache commands, by type and outcome',
  ['type', 'outcome'],
);
