export * from './errors.js';
export * from './deps.js';
export * from './hardware.js';
export * from './driver-info.js';
export * from './provision.js';
export * from './create.js';
export * from './patch.js';
export * from './delete.js';
