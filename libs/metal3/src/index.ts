export * from './constants.js';
export { StringEnum, MAC_PATTERN } from './schema-helpers.js';
export * from './object-meta.js';
export * from './hardware.js';
export * from './baremetalhost.js';
export * from './hardwaredata.js';
export * from './firmware.js';
export * from './crds.js';
