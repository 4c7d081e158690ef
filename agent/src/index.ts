// @ingot/agent: the program that runs on a server's ramdisk, speaking ironic-python-agent's
// protocol to Ingot (or Ironic).
export { startAgent, advertiseHost } from './agent.js';
export type { RunningAgent, StartOptions } from './agent.js';
export { ConfigError, PLATFORMS, loadConfig, parseConfig } from './config.js';
export type { AgentConfig, ParsedConfig, Platform } from './config.js';
export { EXIT_CODES, exitCodeFor } from './exit-codes.js';
export { AgentError, AgentFatalError } from './errors.js';
export { AgentLogger, silentSink } from './log.js';
export type { LogSink } from './log.js';
export { AgentStopped } from './sleep.js';
export { AGENT_VERSION } from './version.js';
export {
  checkLabProfile,
  collectHostInventory,
  collectInventory,
  labInventory,
  loadLabProfile,
  LabProfileError,
} from './inventory/index.js';
export type {
  Inventory,
  LabDiskProfile,
  LabHardwareProfile,
  LabInterfaceProfile,
} from './inventory/index.js';
export { CLEAN_STEPS, DEPLOY_STEPS, hardwareManagerVersions } from './hardware-manager.js';
export type { StepDescription } from './hardware-manager.js';
export type { CommandResult, CommandStatus } from './commands/index.js';
