export * as schema from './schema.js';
export {
  nodes,
  ports,
  portgroups,
  nodeHistory,
  nodeInventory,
  inspectionRules,
  chassis,
  deployTemplates,
  allocations,
  type DeployTemplateStep,
  outbox,
  handledMessages,
  conductors,
} from './schema.js';
export * from './db.js';
export * from './database-errors.js';
export * from './config.js';
export * from './migrate.js';
export * from './secret-box.js';
export * from './reseal.js';
export * from './driver-secrets.js';
export * from './agent-token.js';
export * from './outbox.js';
export * from './leases.js';
export * from './inbox.js';
export * from './history.js';
export * from './nodes.js';
export * from './testing.js';
export * from './node-write.js';
export { Batcher } from './batcher.js';
export * from './deploy-templates.js';
export * from './allocations.js';
export * from './bios-settings.js';
export * from './firmware-components.js';
export * from './agent-logs.js';
