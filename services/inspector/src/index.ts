// The inspector's pure logic: the agent's inventory in, node properties, ports, the root
// device out; inspection rules run through @ingot/rules, and the check of the agent's data is
// @ingot/inventory's, shared with the API. The bus handlers build on these.
export * from './properties.js';
export * from './ports.js';
export * from './lldp.js';
export { isMacAddress, macFromBootInterface } from './mac.js';
export { startInspector } from './service.js';
export { inspectorConfigFromEnv, type InspectorConfig } from './config.js';
