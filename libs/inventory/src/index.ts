// Hardware-inventory logic shared by the inspector and the conductor: root device hints (Ironic's
// semantics), size units, and error wording.
export * from './root-device.js';
export { describeSchemaErrors } from './describe-errors.js';
