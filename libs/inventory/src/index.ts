// Hardware-inventory logic shared by the inspector and the conductor: root device hints (Ironic's
// semantics), size units, and error wording.
export * from './root-device-hints.js';
export * from './match-root-device.js';
export * from './choose-root-device.js';
export { GiB, MiB, wholeGiB } from './units.js';
export { describeSchemaErrors, quote } from './describe-errors.js';
