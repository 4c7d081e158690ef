export * from './app.js';
export * from './config.js';
export type { ApiDeps } from './deps.js';
