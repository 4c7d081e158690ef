import { Type, type Static } from '@sinclair/typebox';
import { DISK_TYPES } from './constants.js';
import { MAC_PATTERN, StringEnum } from './schema-helpers.js';

const VlanId = Type.Integer({ format: 'int32', minimum: 0, maximum: 4094 });

export const NicSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'Interface name, e.g. eth0.' })),
    model: Type.Optional(Type.String({ description: 'Vendor and product IDs.' })),
    mac: Type.Optional(Type.String({ pattern: MAC_PATTERN, description: 'MAC address.' })),
    ip: Type.Optional(Type.String({ description: 'An IPv4 or IPv6 address of the interface.' })),
    speedGbps: Type.Optional(Type.Integer({ description: 'Link speed in Gbit/s.' })),
    vlans: Type.Optional(
      Type.Array(Type.Object({ id: Type.Optional(VlanId), name: Type.Optional(Type.String()) }), {
        description: 'VLANs seen on the interface.',
      }),
    ),
    vlanId: Type.Optional(Type.Integer({ ...VlanId, description: 'Untagged VLAN ID.' })),
    pxe: Type.Optional(Type.Boolean({ description: 'Whether the interface PXE-boots.' })),
    pciAddress: Type.Optional(Type.String()),
    lldp: Type.Optional(
      Type.Object(
        {
          switchID: Type.Optional(Type.String()),
          portID: Type.Optional(Type.String()),
          switchSystemName: Type.Optional(Type.String()),
        },
        { description: 'What the switch announced over LLDP.' },
      ),
    ),
  },
  { description: 'A network interface.' },
);
export type Nic = Static<typeof NicSchema>;

export const StorageSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'Device path, e.g. /dev/sda.' })),
    alternateNames: Type.Optional(Type.Array(Type.String())),
    rotational: Type.Optional(Type.Boolean()),
    type: Type.Optional(StringEnum(DISK_TYPES)),
    sizeBytes: Type.Optional(Type.Integer({ format: 'int64' })),
    vendor: Type.Optional(Type.String()),
    model: Type.Optional(Type.String()),
    serialNumber: Type.Optional(Type.String()),
    wwn: Type.Optional(Type.String()),
    wwnVendorExtension: Type.Optional(Type.String()),
    wwnWithExtension: Type.Optional(Type.String()),
    hctl: Type.Optional(Type.String({ description: 'SCSI address, e.g. 0:0:0:0.' })),
  },
  { description: 'A disk.' },
);
export type Storage = Static<typeof StorageSchema>;

export const CpuSchema = Type.Object(
  {
    arch: Type.Optional(Type.String()),
    model: Type.Optional(Type.String()),
    clockMegahertz: Type.Optional(Type.Number({ format: 'double' })),
    flags: Type.Optional(Type.Array(Type.String())),
    count: Type.Optional(Type.Integer()),
  },
  { description: 'The CPUs.' },
);
export type Cpu = Static<typeof CpuSchema>;

/** What inspection found: status.hardware of a host, spec.hardware of its HardwareData. */
export const HardwareDetailsSchema = Type.Object(
  {
    systemVendor: Type.Optional(
      Type.Object({
        manufacturer: Type.Optional(Type.String()),
        productName: Type.Optional(Type.String()),
        serialNumber: Type.Optional(Type.String()),
      }),
    ),
    firmware: Type.Optional(
      Type.Object({
        bios: Type.Optional(
          Type.Object({
            date: Type.Optional(Type.String()),
            vendor: Type.Optional(Type.String()),
            version: Type.Optional(Type.String()),
          }),
        ),
      }),
    ),
    ramMebibytes: Type.Optional(Type.Integer()),
    nics: Type.Optional(Type.Array(NicSchema)),
    storage: Type.Optional(Type.Array(StorageSchema)),
    cpu: Type.Optional(CpuSchema),
    hostname: Type.Optional(Type.String()),
  },
  { description: 'Hardware found by inspection.' },
);
export type HardwareDetails = Static<typeof HardwareDetailsSchema>;
