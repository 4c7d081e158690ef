export type {
  BiosChange,
  BiosInterface,
  BiosPending,
  BiosSetting,
  BiosValue,
  BootMode,
  CreatedLogicalDisk,
  FirmwareComponentInfo,
  FirmwareInterface,
  FirmwareTaskHandle,
  FirmwareTaskStatus,
  FirmwareUpdateRequest,
  HardwareType,
  LogicalDisk,
  ManagementInterface,
  PowerInterface,
  RaidConfiguration,
  RaidControllerInfo,
  RaidDrive,
  RaidInterface,
  RaidLevel,
  RaidVolume,
  VirtualMediaDevice,
  VirtualMediaState,
} from './interfaces.js';
export { BmcError, isBmcError } from './errors.js';
export type { BmcErrorDetails } from './errors.js';
export { loadHardware } from './load-hardware.js';
export type { LoadHardwareInput } from './load-hardware.js';
export { fakeHardware, fakeNodeState, resetFakeHardware } from './fake/fake-hardware.js';
export { closeDriverConnections } from './redfish/dispatchers.js';
export { DEFAULT_TIMEOUT_MS, parseRedfishConfig } from './redfish/driver-config.js';
export type { RedfishAuthType, RedfishConfig, TlsVerification } from './redfish/driver-config.js';
export { DEFAULT_POWER_TIMEOUT_MS, toPowerState } from './redfish/power.js';
export { redfishHardware } from './redfish/hardware.js';
export { DEFAULT_IPMI_TIMEOUT_MS, parseIpmiConfig } from './ipmi/driver-config.js';
export type { IpmiConfig } from './ipmi/driver-config.js';
export { ipmiHardware } from './ipmi/hardware.js';
