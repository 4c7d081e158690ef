export * from './conductor.js';
export * from './config.js';
