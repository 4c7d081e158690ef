export * from './env.js';
export * from './infrastructure.js';
export * from './run-service.js';
export * from './display-url.js';
export * from './until-available.js';
export * from './heartbeat.js';
export * from './service-status.js';
