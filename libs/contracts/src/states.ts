import { StringEnum } from './string-enum.js';

/** Ironic's provision states (ironic/common/states.py), spelled as the /v1 API spells them. */
export const PROVISION_STATES = [
  'enroll',
  'verifying',
  'manageable',
  'inspecting',
  'inspect wait',
  'inspect failed',
  'cleaning',
  'clean wait',
  'clean hold',
  'clean failed',
  'available',
  'deploying',
  'wait call-back',
  'deploy hold',
  'deploy failed',
  'active',
  'deleting',
  'error',
  'rescuing',
  'rescue wait',
  'rescue failed',
  'rescue',
  'unrescuing',
  'unrescue failed',
  'adopting',
  'adopt failed',
  'servicing',
  'service wait',
  'service hold',
  'service failed',
] as const;
export type ProvisionState = (typeof PROVISION_STATES)[number];
export const ProvisionStateSchema = StringEnum(PROVISION_STATES);

/** Verbs accepted by PUT /v1/nodes/{id}/states/provision as `target`. */
export const PROVISION_VERBS = [
  'manage',
  'provide',
  'inspect',
  'clean',
  'active',
  'deploy',
  'rebuild',
  'deleted',
  'undeploy',
  'rescue',
  'unrescue',
  'adopt',
  'abort',
  'unhold',
  'service',
] as const;
export type ProvisionVerb = (typeof PROVISION_VERBS)[number];
export const ProvisionVerbSchema = StringEnum(PROVISION_VERBS);

/** Power states a node reports. */
export const POWER_STATES = ['power on', 'power off', 'error'] as const;
export type PowerState = (typeof POWER_STATES)[number];
export const PowerStateSchema = StringEnum(POWER_STATES);

/** Targets accepted by PUT /v1/nodes/{id}/states/power. */
export const POWER_TARGETS = [
  'power on',
  'power off',
  'rebooting',
  'soft power off',
  'soft rebooting',
] as const;
export type PowerTarget = (typeof POWER_TARGETS)[number];
export const PowerTargetSchema = StringEnum(POWER_TARGETS);

export const BOOT_DEVICES = ['pxe', 'disk', 'cdrom', 'bios', 'safe'] as const;
export type BootDevice = (typeof BOOT_DEVICES)[number];
export const BootDeviceSchema = StringEnum(BOOT_DEVICES);

/** Ironic's boot modes (ironic/common/boot_modes.py): what node.boot_mode holds. */
export const BOOT_MODES = ['uefi', 'bios'] as const;
export type BootMode = (typeof BOOT_MODES)[number];
export const BootModeSchema = StringEnum(BOOT_MODES);
