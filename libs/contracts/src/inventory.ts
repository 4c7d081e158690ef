import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The hardware inventory ironic-python-agent (IPA) posts to /v1/continue_inspection, and the
 * rest of that body ("plugin data"). Shapes follow ironic_python_agent/hardware.py. IPA sends
 * None for facts it could not read, so most optional fields are nullable, and it grows new
 * fields over time, so every object accepts additional properties.
 */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const OptionalText = Type.Optional(Nullable(Type.String()));
const open = { additionalProperties: true } as const;

/** A MAC address as IPA reports it: six colon-separated octets, either case. */
export const MAC_ADDRESS_PATTERN = '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$';
export const MacAddressSchema = Type.String({
  pattern: MAC_ADDRESS_PATTERN,
  description: 'e.g. 52:54:00:12:34:56',
});

/** A raw LLDP TLV as IPA collects it (ipa-collect-lldp=1): [type, value as hex]. */
export const LldpTlvSchema = Type.Tuple([Type.Integer({ minimum: 0 }), Type.String()]);
export type LldpTlv = Static<typeof LldpTlvSchema>;

export const InventoryInterfaceSchema = Type.Object(
  {
    name: Type.Optional(Type.String()),
    mac_address: MacAddressSchema,
    ipv4_address: OptionalText,
    ipv6_address: OptionalText,
    has_carrier: Type.Optional(Nullable(Type.Boolean())),
    lldp: Type.Optional(Nullable(Type.Array(LldpTlvSchema))),
    vendor: OptionalText,
    product: OptionalText,
    client_id: OptionalText,
    biosdevname: OptionalText,
    speed_mbps: Type.Optional(Nullable(Type.Integer())),
    pci_address: OptionalText,
    driver: OptionalText,
  },
  open,
);
export type InventoryInterface = Static<typeof InventoryInterfaceSchema>;

export const InventoryCpuSchema = Type.Object(
  {
    count: Type.Integer({ minimum: 1, description: 'logical CPUs' }),
    architecture: Type.String({ minLength: 1, description: 'e.g. x86_64, aarch64' }),
    model_name: OptionalText,
    frequency: Type.Optional(Nullable(Type.Union([Type.String(), Type.Number()]))),
    flags: Type.Optional(Nullable(Type.Array(Type.String()))),
    socket_count: Type.Optional(Nullable(Type.Integer())),
  },
  open,
);
export type InventoryCpu = Static<typeof InventoryCpuSchema>;

/**
 * IPA reports `total` (bytes the kernel sees) and `physical_mb` (installed, from DMI, None
 * when dmidecode fails). Inspection needs one of them, so the schema is a union of "has
 * physical_mb" and "has total".
 */
export const InventoryMemorySchema = Type.Union(
  [
    Type.Object(
      {
        physical_mb: Type.Integer({ minimum: 1 }),
        total: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
      },
      open,
    ),
    Type.Object(
      {
        physical_mb: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
        total: Type.Integer({ minimum: 1 }),
      },
      open,
    ),
  ],
  { description: 'physical_mb (MiB) or total (bytes) as an integer >= 1' },
);
export type InventoryMemory = Static<typeof InventoryMemorySchema>;

export const InventoryDiskSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'e.g. /dev/sda, /dev/nvme0n1' }),
    size: Type.Integer({ minimum: 0, description: 'bytes' }),
    rotational: Type.Optional(Nullable(Type.Boolean())),
    model: OptionalText,
    vendor: OptionalText,
    serial: OptionalText,
    wwn: OptionalText,
    wwn_with_extension: OptionalText,
    wwn_vendor_extension: OptionalText,
    hctl: OptionalText,
    by_path: OptionalText,
    logical_sectors: Type.Optional(Nullable(Type.Integer())),
    physical_sectors: Type.Optional(Nullable(Type.Integer())),
    tran: OptionalText,
  },
  open,
);
export type InventoryDisk = Static<typeof InventoryDiskSchema>;

export const InventorySystemVendorSchema = Type.Object(
  {
    product_name: OptionalText,
    serial_number: OptionalText,
    manufacturer: OptionalText,
    firmware: Type.Optional(
      Nullable(
        Type.Object(
          { vendor: OptionalText, version: OptionalText, build_date: OptionalText },
          open,
        ),
      ),
    ),
  },
  open,
);

export const InventoryBootSchema = Type.Object(
  {
    current_boot_mode: OptionalText,
    /** The MAC the node booted from, plain or in pxelinux form (01-aa-bb-cc-dd-ee-ff). */
    pxe_interface: OptionalText,
  },
  open,
);

/**
 * The inventory. `disks` is required but may be empty: an empty list means a diskless node
 * (no root device, local_gb 0); root device hints on such a node fail inspection.
 */
export const InventorySchema = Type.Object(
  {
    cpu: InventoryCpuSchema,
    memory: InventoryMemorySchema,
    disks: Type.Array(InventoryDiskSchema),
    interfaces: Type.Array(InventoryInterfaceSchema, { minItems: 1 }),
    bmc_address: OptionalText,
    bmc_v6address: OptionalText,
    bmc_mac: OptionalText,
    system_vendor: Type.Optional(Nullable(InventorySystemVendorSchema)),
    boot: Type.Optional(Nullable(InventoryBootSchema)),
    hostname: OptionalText,
  },
  open,
);
export type Inventory = Static<typeof InventorySchema>;

/**
 * Body of POST /v1/continue_inspection: the inventory plus plugin data from IPA's collectors.
 * The API checks it whole before accepting it; everything besides `inventory` and `agent_token`
 * is kept as plugin data.
 */
export const ContinueInspectionBodySchema = Type.Object(
  {
    inventory: InventorySchema,
    /**
     * An Ingot extension: the pregenerated token of a virtual-media boot, which proves the data
     * comes from the ramdisk Ingot booted. Never stored. Stock IPA sends none.
     */
    agent_token: OptionalText,
    /** The disk IPA would pick without hints; Ingot recomputes it with the node's hints. */
    root_disk: Type.Optional(Nullable(InventoryDiskSchema)),
    /** BOOTIF from the kernel command line, usually in pxelinux form: 01-aa-bb-cc-dd-ee-ff. */
    boot_interface: OptionalText,
    /** Raw LLDP TLVs per interface name, when collected apart from the inventory. */
    lldp_raw: Type.Optional(Nullable(Type.Record(Type.String(), Type.Array(LldpTlvSchema)))),
    /** Base64 tar.gz of the ramdisk logs. */
    logs: OptionalText,
    /** A failure reported by the ramdisk itself; it fails inspection (ramdisk-error hook). */
    error: OptionalText,
    configuration: Type.Optional(
      Nullable(
        Type.Object(
          {
            collectors: Type.Optional(Type.Array(Type.String())),
            managers: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
          },
          open,
        ),
      ),
    ),
  },
  open,
);
export type ContinueInspectionBody = Static<typeof ContinueInspectionBodySchema>;
