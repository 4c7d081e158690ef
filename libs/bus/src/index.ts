export * from './bus.js';
export * from './subjects.js';
export * from './consume.js';
export * from './reply-waiter.js';
export * from './trace-headers.js';
export * from './request-reply.js';
export * from './node-events.js';
