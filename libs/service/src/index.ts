export * from './env.js';
export * from './infrastructure.js';
export * from './run-service.js';
export * from './display-url.js';
