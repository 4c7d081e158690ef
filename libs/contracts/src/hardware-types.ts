import type { DriverName } from './driver-info.js';
import type { BootDevice } from './states.js';

/**
 * Ironic's driver interfaces (ironic/drivers/base.py ALL_INTERFACES), in the order the API lists
 * them. Each node names one implementation of each: the `<interface>_interface` fields.
 */
export const DRIVER_INTERFACES = [
  'bios',
  'boot',
  'console',
  'deploy',
  'firmware',
  'inspect',
  'management',
  'network',
  'power',
  'raid',
  'rescue',
  'storage',
  'vendor',
] as const;
export type DriverInterface = (typeof DRIVER_INTERFACES)[number];

/** What a hardware type is made of, as Ingot really runs it. */
export interface HardwareTypeSpec {
  name: DriverName;
  /** The implementation of each interface; `no-*` and `noop` ones do nothing, as in Ironic. */
  interfaces: Record<DriverInterface, string>;
  /**
   * Other implementations a node of this type may choose through its `<interface>_interface` field
   * (Ironic's enabled_*_interfaces); `interfaces` holds the default of each.
   */
  alternatives: Partial<Record<DriverInterface, readonly string[]>>;
  /** Boot devices its management interface can set (GET .../boot_device/supported). */
  bootDevices: readonly BootDevice[];
  /** driver_info keys it reads, with what each means (GET /v1/drivers/{name}/properties). */
  properties: Record<string, string>;
}

/** Interfaces Ingot does not implement for any hardware type: Ironic's no-op implementations. */
const NOT_IMPLEMENTED = {
  bios: 'no-bios',
  console: 'no-console',
  firmware: 'no-firmware',
  raid: 'no-raid',
  rescue: 'no-rescue',
  vendor: 'no-vendor',
  network: 'noop',
  storage: 'noop',
} as const;

/**
 * The hardware types Ingot ships. redfish deploys with the agent (direct deploy) booted from virtual
 * media (or iPXE), inspects and rescues with it; ipmi does the same with the agent booted over iPXE. Every interface of fake-hardware is fake, as in Ironic: power and boot
 * device live in memory, and deploy, clean, inspect and rescue finish at once without an agent or image.
 */
export const HARDWARE_TYPES: Record<DriverName, HardwareTypeSpec> = {
  redfish: {
    name: 'redfish',
    interfaces: {
      ...NOT_IMPLEMENTED,
      bios: 'redfish',
      boot: 'redfish-virtual-media',
      deploy: 'direct',
      firmware: 'redfish',
      inspect: 'agent',
      management: 'redfish',
      power: 'redfish',
      raid: 'redfish',
      rescue: 'agent',
      vendor: 'redfish',
    },
    // Metal3's redfish:// addresses boot the agent over iPXE, redfish-virtualmedia:// from an ISO.
    // redfish inspection reads the hardware from the BMC: no agent boot, seconds instead of minutes.
    // raid 'agent' builds software RAID (mdadm) in the agent ramdisk for servers without a
    // controller; Metal3 sends no-raid for hosts without spec.raid.
    alternatives: {
      bios: ['no-bios'],
      boot: ['ipxe'],
      firmware: ['no-firmware'],
      inspect: ['redfish'],
      raid: ['agent', 'no-raid'],
    },
    bootDevices: ['pxe', 'disk', 'cdrom', 'bios'],
    properties: {
      redfish_address:
        'The URL address to the Redfish controller, e.g. https://10.0.0.5 or http://127.0.0.1:8000. Required.',
      redfish_system_id:
        'The canonical path to the ComputerSystem resource, e.g. /redfish/v1/Systems/1. Optional: discovered when the BMC has one system.',
      redfish_username: 'User account with admin/server-profile access privilege. Optional.',
      redfish_password: 'User account password. Optional. Stored encrypted, shown as ******.',
      redfish_verify_ca:
        'Either a Boolean value, a path to a CA_BUNDLE file or directory with certificates of trusted CAs. Optional, defaults to True.',
      redfish_auth_type:
        'Redfish HTTP client authentication method: one of "basic", "session", "auto". Optional, defaults to "auto".',
      redfish_timeout_ms:
        'Timeout of one Redfish request in milliseconds (100-600000). Optional, Ingot-specific.',
    },
  },
  ipmi: {
    name: 'ipmi',
    interfaces: {
      ...NOT_IMPLEMENTED,
      // IPMI has no virtual media: the agent boots over the network, as Metal3's ipmi:// hosts do.
      boot: 'ipxe',
      deploy: 'direct',
      inspect: 'agent',
      management: 'ipmitool',
      power: 'ipmitool',
      rescue: 'agent',
    },
    // IPMI reaches no RAID controller: software RAID built by the agent is the choice there.
    alternatives: { raid: ['agent'] },
    bootDevices: ['pxe', 'disk', 'cdrom', 'bios', 'safe'],
    properties: {
      ipmi_address: 'IP address or host name of the BMC. Required.',
      ipmi_port: 'UDP port of the BMC (RMCP+). Optional, defaults to 623.',
      ipmi_username: 'User account of the BMC. Optional.',
      ipmi_password: 'Password of that account. Optional. Stored encrypted, shown as ******.',
      ipmi_priv_level:
        'Privilege level: ADMINISTRATOR, OPERATOR, USER or CALLBACK. Optional, defaults to ADMINISTRATOR.',
      ipmi_cipher_suite:
        'IPMI 2.0 cipher suite (0-17), e.g. 3 or 17. Optional: ipmitool negotiates one when absent.',
      ipmi_protocol_version: 'Only "2.0" (lanplus) is supported. Optional.',
      ipmi_timeout_ms:
        'Timeout of one IPMI command in milliseconds (1000-600000). Optional, Ingot-specific.',
    },
  },
  'fake-hardware': {
    name: 'fake-hardware',
    interfaces: {
      ...NOT_IMPLEMENTED,
      boot: 'fake',
      deploy: 'fake',
      inspect: 'fake',
      management: 'fake',
      power: 'fake',
      rescue: 'fake',
    },
    alternatives: {},
    bootDevices: ['pxe', 'disk', 'cdrom', 'bios', 'safe'],
    properties: {},
  },
};

/** Interfaces that only pretend: validation reports them unsupported, as Ironic does. */
export const isNoopInterface = (implementation: string): boolean =>
  implementation.startsWith('no-');

/** Every implementation of an interface a node of this hardware type may use, default first. */
export function implementationsOf(spec: HardwareTypeSpec, iface: DriverInterface): string[] {
  return [spec.interfaces[iface], ...(spec.alternatives[iface] ?? [])];
}

/** Interfaces a node may choose an implementation of, with the node column that holds the choice. */
export const CHOOSABLE_INTERFACES = {
  bios: 'biosInterface',
  boot: 'bootInterface',
  firmware: 'firmwareInterface',
  inspect: 'inspectInterface',
  raid: 'raidInterface',
} as const satisfies Partial<Record<DriverInterface, string>>;

/** The node columns that hold its interface choices (null: the hardware type's default). */
export type ChosenInterfaceColumns = {
  [I in keyof typeof CHOOSABLE_INTERFACES as (typeof CHOOSABLE_INTERFACES)[I]]?: string | null;
};

/**
 * The implementation of each interface a node runs: its own choice where it made one (boot,
 * inspect, raid, bios and firmware can be chosen), else its hardware type's default.
 */
export function nodeInterfaces(
  spec: HardwareTypeSpec,
  node: ChosenInterfaceColumns,
): Record<DriverInterface, string> {
  const chosen = Object.entries(CHOOSABLE_INTERFACES).flatMap(([iface, column]) => {
    const value = node[column];
    return value ? [[iface, value] as const] : [];
  });
  return { ...spec.interfaces, ...Object.fromEntries(chosen) };
}
