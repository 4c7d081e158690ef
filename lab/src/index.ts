export { startFleet, stopAll } from './fleet.js';
export type { Fleet, FleetOptions, LabServer } from './fleet.js';
export { DEFAULT_IPMI_PYTHON, IPMI_BRIDGE_SCRIPT, startIpmiBridge } from './ipmi-bridge.js';
export type {
  IpmiBridge,
  IpmiBridgeExit,
  IpmiBridgeOptions,
  IpmiEndpoint,
  IpmiTarget,
} from './ipmi-bridge.js';
export { LAB_HOST, RedfishBmc, startRedfishBmc } from './redfish-bmc.js';
export { LightBmcHost, startLightBmcHost } from './light-bmc.js';
export type { LightBmcHostOptions } from './light-bmc.js';
export type { LightSystemState } from './light-system.js';
export type { BmcFault, BmcState, RedfishBmcOptions } from './redfish-bmc.js';
export { BIOS_ATTRIBUTES, BIOS_REGISTRY_ID } from './bios-settings.js';
export type { BiosAttributeEntry, BiosValue } from './bios-settings.js';
export { DEFAULT_FIRMWARE_UPDATE_MS } from './firmware-updates.js';
export type { FirmwareId } from './firmware-updates.js';
export { RAID_TYPES } from './raid-controller.js';
export type { ApplyTime, LabVolume, RaidType } from './raid-controller.js';
export type { LabTask, TaskState } from './redfish-tasks.js';
export { RESET_TYPES } from './machine.js';
export type {
  BootOverride,
  MachineEvents,
  MediaChange,
  MediaDevice,
  MediaState,
  PowerChange,
  RedfishPower,
  ResetType,
} from './machine.js';
export { describeServer } from './server-profile.js';
export type { DiskProfile, HardwareProfile, ServerIdentity } from './server-profile.js';
export { labCertificate } from './tls-certificate.js';
export type { TlsMaterial } from './tls-certificate.js';
export { Installation, SERVICE_NODE_OPTIONS } from './installation.js';
export type { InstallationOptions, ServiceName, ServiceProcess } from './installation.js';
export { freePort, stablePort } from './free-port.js';
export { waitFor } from './wait-for.js';
export {
  ServerHost,
  AGENT_EXIT_POWER_OFF,
  AGENT_EXIT_REBOOT,
  AGENT_EXIT_RESCUED,
} from './server-host.js';
export type { ServerHostOptions, HostEvents } from './server-host.js';
export { netboot, NetbootError } from './ipxe-firmware.js';
export type { NetbootOutcome } from './ipxe-firmware.js';
export { reportDisk } from './disk-report.js';
export type { DiskReport } from './disk-report.js';
export {
  ImageOrigin,
  makeTestImage,
  partitionsOf,
  readRange,
  scratchDir,
  sha256,
} from './sample-image.js';
export type { TestImage } from './sample-image.js';
export { VmHost, AGENT_GUEST_PORT } from './vm/vm-host.js';
export type { VmHostOptions, VmHostEvents } from './vm/vm-host.js';
export { chooseAccelerator } from './vm/accelerator.js';
export type { Accelerator, AcceleratorChoice } from './vm/accelerator.js';
export { qemuArguments, netdevOption, SERVICES_GUEST_ADDRESS } from './vm/qemu-command.js';
export type { QemuLaunch, VmNetwork } from './vm/qemu-command.js';
export { QmpConnection } from './vm/qmp.js';
export { buildMarkerOsImage, MARKER } from './vm/marker-os.js';
export type { MarkerOsImage } from './vm/marker-os.js';
export { buildBusyboxInitramfs } from './vm/initramfs.js';
export type { BusyboxInitramfs } from './vm/initramfs.js';
export { findDebianKernel, modulesInLoadOrder } from './vm/debian-kernel.js';
export type { DebianKernel } from './vm/debian-kernel.js';
export { ovmfFiles } from './vm/firmware.js';
export {
  ensureAgentRamdisk,
  vmInstallationEnv,
  vmNodeFields,
  vmPxeBootfile,
  VM_MACHINE_FACING_HOST,
} from './vm/vm-lab.js';
export type { AgentRamdisk } from './vm/vm-lab.js';
export { startPrivateNats, startPrivatePostgres } from './private-infra.js';
export type { PrivateServer } from './private-infra.js';
