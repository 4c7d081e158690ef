// Hardware-inventory logic shared by the inspector, the API and the conductor: root device hints
// (Ironic's semantics), size units, error wording, and the check of what the agent sends.
export * from './root-device.js';
export { describeSchemaErrors } from './describe-errors.js';
export * from './validate-inventory.js';
