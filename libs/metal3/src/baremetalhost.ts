import { Type, type Static } from '@sinclair/typebox';
import {
  AUTOMATED_CLEANING_MODES,
  BOOT_MODES,
  CHECKSUM_TYPES,
  CONDITION_STATUSES,
  ERROR_TYPES,
  HARDWARE_RAID_LEVELS,
  IMAGE_FORMATS,
  INSPECTION_MODES,
  OPERATIONAL_STATUSES,
  SOFTWARE_RAID_LEVELS,
} from './constants.js';
import { HardwareDetailsSchema } from './hardware.js';
import { SecretReferenceSchema, typeMetaProperties } from './object-meta.js';
import { MAC_PATTERN, StringEnum, Timestamp } from './schema-helpers.js';

export const BmcDetailsSchema = Type.Object(
  {
    address: Type.String({
      description:
        'How to reach the BMC: scheme://host[:port][/path], e.g. redfish://bmc-1.example.com/redfish/v1/Systems/1 or ipmi://bmc-2.example.com.',
    }),
    credentialsName: Type.String({
      description: 'Secret in the same namespace with the keys username and password.',
    }),
    disableCertificateVerification: Type.Optional(
      Type.Boolean({ description: "Accept the BMC's TLS certificate without verifying it." }),
    ),
  },
  { description: 'The baseboard management controller of the host.' },
);
export type BmcDetails = Static<typeof BmcDetailsSchema>;

export const ImageSchema = Type.Object(
  {
    url: Type.String({ description: 'Where to download the image from.' }),
    checksum: Type.Optional(
      Type.String({ description: 'Checksum of the image, or the URL of a checksum file.' }),
    ),
    checksumType: Type.Optional(
      StringEnum(CHECKSUM_TYPES, { description: 'Algorithm of checksum; auto guesses it.' }),
    ),
    format: Type.Optional(
      StringEnum(IMAGE_FORMATS, {
        description: 'Disk format of the image; live-iso boots the ISO instead of writing a disk.',
      }),
    ),
    ociAuthSecretName: Type.Optional(
      Type.String({ description: 'Secret with credentials for an oci:// image registry.' }),
    ),
  },
  { description: 'The image to deploy.' },
);
export type Image = Static<typeof ImageSchema>;

/** Properties that select the root disk; all given ones must match. */
const rootDeviceHintProperties = {
  deviceName: Type.Optional(Type.String({ description: 'Device path, e.g. /dev/vda.' })),
  hctl: Type.Optional(Type.String({ description: 'SCSI address, e.g. 0:0:0:0.' })),
  model: Type.Optional(Type.String({ description: 'Model, matched as a substring.' })),
  vendor: Type.Optional(Type.String({ description: 'Vendor, matched as a substring.' })),
  serialNumber: Type.Optional(Type.String({ description: 'Serial number, matched exactly.' })),
  minSizeGigabytes: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Smallest acceptable size in GB.' }),
  ),
  wwn: Type.Optional(Type.String()),
  wwnWithExtension: Type.Optional(Type.String()),
  wwnVendorExtension: Type.Optional(Type.String()),
  rotational: Type.Optional(Type.Boolean({ description: 'true: a spinning disk; false: SSD.' })),
};
export const RootDeviceHintsSchema = Type.Object(rootDeviceHintProperties, {
  description: 'Hints that select the disk the image is written to.',
});
export type RootDeviceHints = Static<typeof RootDeviceHintsSchema>;

export const RaidConfigSchema = Type.Object(
  {
    hardwareRAIDVolumes: Type.Optional(
      Type.Array(
        Type.Object({
          sizeGibibytes: Type.Optional(Type.Integer({ minimum: 0 })),
          level: StringEnum(HARDWARE_RAID_LEVELS),
          name: Type.Optional(Type.String({ maxLength: 64 })),
          rotational: Type.Optional(Type.Boolean()),
          numberOfPhysicalDisks: Type.Optional(Type.Integer({ minimum: 1 })),
          controller: Type.Optional(Type.String()),
          physicalDisks: Type.Optional(Type.Array(Type.String())),
        }),
        { nullable: true, description: 'Volumes of a hardware RAID controller.' },
      ),
    ),
    softwareRAIDVolumes: Type.Optional(
      Type.Array(
        Type.Object({
          sizeGibibytes: Type.Optional(Type.Integer({ minimum: 0 })),
          level: StringEnum(SOFTWARE_RAID_LEVELS),
          physicalDisks: Type.Optional(
            Type.Array(Type.Object(rootDeviceHintProperties), { minItems: 2 }),
          ),
          rootVolume: Type.Optional(Type.Boolean({ default: false })),
        }),
        { maxItems: 2, nullable: true, description: 'Linux software RAID volumes.' },
      ),
    ),
  },
  { description: 'RAID volumes to set up before provisioning.' },
);
export type RaidConfig = Static<typeof RaidConfigSchema>;

/** Deprecated in Metal3 (HostFirmwareSettings replaces it); kept for schema compatibility. */
export const FirmwareConfigSchema = Type.Object(
  {
    simultaneousMultithreadingEnabled: Type.Optional(Type.Boolean({ enum: [true, false] })),
    sriovEnabled: Type.Optional(Type.Boolean({ enum: [true, false] })),
    virtualizationEnabled: Type.Optional(Type.Boolean({ enum: [true, false] })),
  },
  { description: 'BIOS settings (deprecated upstream).' },
);

export const CustomDeploySchema = Type.Object(
  { method: Type.String({ description: 'Name of a custom deploy step.' }) },
  { description: 'A custom deploy procedure instead of writing an image.' },
);

export const ObjectReferenceSchema = Type.Object(
  {
    apiVersion: Type.Optional(Type.String()),
    kind: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    uid: Type.Optional(Type.String()),
    resourceVersion: Type.Optional(Type.String()),
    fieldPath: Type.Optional(Type.String()),
  },
  {
    'x-kubernetes-map-type': 'atomic',
    description: 'The object that uses this host, e.g. a Metal3Machine.',
  },
);
export type ObjectReference = Static<typeof ObjectReferenceSchema>;

const NetworkInterfaceSchema = Type.Object({
  name: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9._-]+$' })),
  macAddress: Type.Optional(Type.String({ pattern: `^${MAC_PATTERN}$` })),
  hostNetworkAttachment: Type.Optional(
    Type.Object({
      name: Type.Optional(Type.String({ maxLength: 253 })),
      namespace: Type.Optional(Type.String({ maxLength: 63 })),
    }),
  ),
  switchPort: Type.Optional(
    Type.Object({
      switchID: Type.String({ pattern: `^${MAC_PATTERN}$` }),
      portID: Type.String(),
    }),
  ),
});

const TaintSchema = Type.Object({
  key: Type.String(),
  value: Type.Optional(Type.String()),
  effect: Type.String(),
  timeAdded: Type.Optional(Timestamp()),
});

export const BareMetalHostSpecSchema = Type.Object(
  {
    online: Type.Boolean({ description: 'Whether the server should be powered on.' }),
    bmc: Type.Optional(BmcDetailsSchema),
    bootMACAddress: Type.Optional(
      Type.String({
        pattern: MAC_PATTERN,
        description: 'MAC address of the NIC the host boots from over the network.',
      }),
    ),
    bootMode: Type.Optional(
      StringEnum(BOOT_MODES, { description: 'Firmware boot mode; UEFI when empty.' }),
    ),
    image: Type.Optional(ImageSchema),
    userData: Type.Optional(
      SecretReferenceSchema({ description: 'Secret with the user data of the config drive.' }),
    ),
    networkData: Type.Optional(
      SecretReferenceSchema({ description: 'Secret with the network data of the config drive.' }),
    ),
    metaData: Type.Optional(
      SecretReferenceSchema({ description: 'Secret with the meta data of the config drive.' }),
    ),
    preprovisioningNetworkDataName: Type.Optional(
      Type.String({ description: 'Secret with network data for the agent ramdisk.' }),
    ),
    rootDeviceHints: Type.Optional(RootDeviceHintsSchema),
    raid: Type.Optional(RaidConfigSchema),
    firmware: Type.Optional(FirmwareConfigSchema),
    customDeploy: Type.Optional(CustomDeploySchema),
    consumerRef: Type.Optional(ObjectReferenceSchema),
    externallyProvisioned: Type.Optional(
      Type.Boolean({
        description: 'The host was provisioned by another tool: adopt it, never write its disk.',
      }),
    ),
    automatedCleaningMode: Type.Optional(
      StringEnum(AUTOMATED_CLEANING_MODES, {
        default: 'metadata',
        description: 'metadata: clean the disks before and after use; disabled: never.',
      }),
    ),
    architecture: Type.Optional(
      Type.String({ description: 'CPU architecture, e.g. x86_64; filled by inspection.' }),
    ),
    disablePowerOff: Type.Optional(
      Type.Boolean({ description: 'Never power the host off; reboots only.' }),
    ),
    inspectionMode: Type.Optional(
      StringEnum(INSPECTION_MODES, {
        description: 'agent: inspect in a ramdisk; fast: ask the BMC; disabled: skip.',
      }),
    ),
    networkInterfaces: Type.Optional(
      Type.Array(NetworkInterfaceSchema, { description: 'Network interfaces to configure.' }),
    ),
    description: Type.Optional(Type.String({ description: 'Free text for the people.' })),
    hardwareProfile: Type.Optional(Type.String({ description: 'Deprecated upstream.' })),
    taints: Type.Optional(Type.Array(TaintSchema, { description: 'Unused upstream.' })),
  },
  { description: 'What the host should be.' },
);
export type BareMetalHostSpec = Static<typeof BareMetalHostSpecSchema>;

const CredentialsStatusSchema = Type.Object({
  credentials: Type.Optional(SecretReferenceSchema()),
  credentialsVersion: Type.Optional(Type.String({ description: 'resourceVersion of the Secret.' })),
});
export type CredentialsStatus = Static<typeof CredentialsStatusSchema>;

const NullableTimestamp = Type.Unsafe<string | null>({
  type: 'string',
  format: 'date-time',
  nullable: true,
});
const OperationMetricSchema = Type.Object({
  start: Type.Optional(NullableTimestamp),
  end: Type.Optional(NullableTimestamp),
});

export const ProvisionStatusSchema = Type.Object(
  {
    state: Type.String({ description: 'Provisioning state, e.g. available or provisioned.' }),
    ID: Type.String({ description: "Ingot's node UUID for the host." }),
    image: Type.Optional(ImageSchema),
    rootDeviceHints: Type.Optional(RootDeviceHintsSchema),
    bootMode: Type.Optional(StringEnum(BOOT_MODES)),
    raid: Type.Optional(RaidConfigSchema),
    firmware: Type.Optional(FirmwareConfigSchema),
    customDeploy: Type.Optional(CustomDeploySchema),
  },
  { description: 'Where provisioning stands and what it used.' },
);
export type ProvisionStatus = Static<typeof ProvisionStatusSchema>;

/** metav1.Condition. */
export const ConditionSchema = Type.Object({
  type: Type.String({
    maxLength: 316,
    pattern:
      '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
  }),
  status: StringEnum(CONDITION_STATUSES),
  observedGeneration: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
  lastTransitionTime: Timestamp(),
  reason: Type.String({
    maxLength: 1024,
    minLength: 1,
    pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
  }),
  message: Type.String({ maxLength: 32768 }),
});
export type Condition = Static<typeof ConditionSchema>;

export const BareMetalHostStatusSchema = Type.Object(
  {
    operationalStatus: StringEnum(OPERATIONAL_STATUSES, {
      description: 'OK, discovered, error, delayed, detached or servicing.',
    }),
    errorType: Type.Optional(
      StringEnum(ERROR_TYPES, { description: 'Kind of the last error; empty when none.' }),
    ),
    errorMessage: Type.String({ description: 'The last error, for a person.' }),
    errorCount: Type.Integer({ default: 0, description: 'Errors since the last success.' }),
    provisioningFailCount: Type.Integer({ default: 0 }),
    lastUpdated: Type.Optional(Timestamp({ description: 'When the status last changed.' })),
    lastAttemptedImage: Type.Optional(ImageSchema),
    hardwareProfile: Type.Optional(Type.String()),
    hardware: Type.Optional(HardwareDetailsSchema),
    provisioning: ProvisionStatusSchema,
    goodCredentials: Type.Optional(CredentialsStatusSchema),
    triedCredentials: Type.Optional(CredentialsStatusSchema),
    poweredOn: Type.Boolean({ description: 'Whether the server is powered on.' }),
    operationHistory: Type.Optional(
      Type.Object({
        register: Type.Optional(OperationMetricSchema),
        inspect: Type.Optional(OperationMetricSchema),
        provision: Type.Optional(OperationMetricSchema),
        deprovision: Type.Optional(OperationMetricSchema),
      }),
    ),
    conditions: Type.Optional(
      Type.Array(ConditionSchema, {
        maxItems: 32,
        'x-kubernetes-list-map-keys': ['type'],
        'x-kubernetes-list-type': 'map',
      }),
    ),
  },
  { description: 'What the host is, as Ingot observed it.' },
);
export type BareMetalHostStatus = Static<typeof BareMetalHostStatusSchema>;

export const BareMetalHostSchema = Type.Object(
  {
    ...typeMetaProperties,
    spec: Type.Optional(BareMetalHostSpecSchema),
    status: Type.Optional(BareMetalHostStatusSchema),
  },
  { description: 'A physical server that Ingot (like Metal3) registers, inspects and provisions.' },
);
export type BareMetalHost = Static<typeof BareMetalHostSchema>;
