// Root device hints and the choice of the disk an image goes to, without the schema error wording
// (which loads TypeBox and every schema of @ingot/contracts): the agent imports only this, as
// `@ingot/inventory/root-device`, and starts faster for it.
export * from './root-device-hints.js';
export * from './match-root-device.js';
export * from './choose-root-device.js';
export { GiB, MiB, wholeGiB } from './units.js';
export { quote } from './quote.js';
