import type { TSchema } from '@sinclair/typebox';
import { stringify } from 'yaml';
import { BareMetalHostSchema } from './baremetalhost.js';
import {
  BAREMETALHOST_KIND,
  BAREMETALHOST_PLURAL,
  FIRMWARESCHEMA_KIND,
  FIRMWARESCHEMA_PLURAL,
  HARDWAREDATA_KIND,
  HARDWAREDATA_PLURAL,
  HOSTFIRMWARECOMPONENTS_KIND,
  HOSTFIRMWARECOMPONENTS_PLURAL,
  HOSTFIRMWARESETTINGS_KIND,
  HOSTFIRMWARESETTINGS_PLURAL,
  METAL3_GROUP,
  METAL3_VERSION,
} from './constants.js';
import {
  FirmwareSchemaSchema,
  HostFirmwareComponentsSchema,
  HostFirmwareSettingsSchema,
} from './firmware.js';
import { HardwareDataSchema } from './hardwaredata.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

/** An apiextensions.k8s.io/v1 CustomResourceDefinition, as plain data. */
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      /** Left out when there are none: the API server stores no empty list. */
      shortNames?: string[];
    };
    scope: 'Namespaced';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: Record<string, unknown> };
      subresources: { status?: Record<string, never> };
      /** Left out when there are none, as shortNames. */
      additionalPrinterColumns?: PrinterColumn[];
    }[];
  };
}

/** The plain JSON Schema of a TypeBox schema (TypeBox's symbol keys dropped). */
export const plainSchema = (schema: TSchema): Record<string, unknown> =>
  JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created',
};

function crd(opts: {
  kind: string;
  plural: string;
  /** The singular name, when it is not the kind in lower case. */
  singular?: string;
  shortNames: string[];
  schema: TSchema;
  statusSubresource: boolean;
  columns: PrinterColumn[];
}): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${opts.plural}.${METAL3_GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'ingot' },
    },
    spec: {
      group: METAL3_GROUP,
      names: {
        kind: opts.kind,
        listKind: `${opts.kind}List`,
        plural: opts.plural,
        singular: opts.singular ?? opts.kind.toLowerCase(),
        ...(opts.shortNames.length > 0 ? { shortNames: opts.shortNames } : {}),
      },
      scope: 'Namespaced',
      versions: [
        {
          name: METAL3_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: plainSchema(opts.schema) },
          subresources: opts.statusSubresource ? { status: {} } : {},
          ...(opts.columns.length > 0 ? { additionalPrinterColumns: opts.columns } : {}),
        },
      ],
    },
  };
}

/** BareMetalHost's CRD: Metal3's names, status subresource and `kubectl get bmh` columns. */
export function bareMetalHostCrd(): CustomResourceDefinition {
  return crd({
    kind: BAREMETALHOST_KIND,
    plural: BAREMETALHOST_PLURAL,
    shortNames: ['bmh', 'bmhost'],
    schema: BareMetalHostSchema,
    statusSubresource: true,
    columns: [
      {
        name: 'Status',
        type: 'string',
        jsonPath: '.status.operationalStatus',
        description: 'Operational status',
        priority: 1,
      },
      {
        name: 'State',
        type: 'string',
        jsonPath: '.status.provisioning.state',
        description: 'Provisioning state',
      },
      {
        name: 'Consumer',
        type: 'string',
        jsonPath: '.spec.consumerRef.name',
        description: 'What uses the host',
      },
      {
        name: 'BMC',
        type: 'string',
        jsonPath: '.spec.bmc.address',
        description: 'Address of the BMC',
        priority: 1,
      },
      {
        name: 'Online',
        type: 'string',
        jsonPath: '.spec.online',
        description: 'Whether the host should be powered on',
      },
      {
        name: 'Error',
        type: 'string',
        jsonPath: '.status.errorType',
        description: 'Kind of the last error',
      },
      AGE,
    ],
  });
}

/** HardwareData's CRD (inspection results, one object per inspected host). */
export function hardwareDataCrd(): CustomResourceDefinition {
  return crd({
    kind: HARDWAREDATA_KIND,
    plural: HARDWAREDATA_PLURAL,
    shortNames: ['hd'],
    schema: HardwareDataSchema,
    statusSubresource: false,
    columns: [AGE],
  });
}

/** HostFirmwareSettings' CRD: the BIOS settings a host has (status) and should have (spec). */
export function hostFirmwareSettingsCrd(): CustomResourceDefinition {
  return crd({
    kind: HOSTFIRMWARESETTINGS_KIND,
    plural: HOSTFIRMWARESETTINGS_PLURAL,
    singular: HOSTFIRMWARESETTINGS_PLURAL,
    shortNames: ['hfs'],
    schema: HostFirmwareSettingsSchema,
    statusSubresource: true,
    columns: [],
  });
}

/** FirmwareSchema's CRD: the settings a kind of server has, shared by its HostFirmwareSettings. */
export function firmwareSchemaCrd(): CustomResourceDefinition {
  return crd({
    kind: FIRMWARESCHEMA_KIND,
    plural: FIRMWARESCHEMA_PLURAL,
    shortNames: [],
    schema: FirmwareSchemaSchema,
    statusSubresource: false,
    columns: [],
  });
}

/** HostFirmwareComponents' CRD: the firmware versions a host has and the updates it should get. */
export function hostFirmwareComponentsCrd(): CustomResourceDefinition {
  return crd({
    kind: HOSTFIRMWARECOMPONENTS_KIND,
    plural: HOSTFIRMWARECOMPONENTS_PLURAL,
    singular: HOSTFIRMWARECOMPONENTS_PLURAL,
    shortNames: [],
    schema: HostFirmwareComponentsSchema,
    statusSubresource: true,
    columns: [],
  });
}

/** Every CRD Ingot serves, in install order. */
export const customResourceDefinitions = (): CustomResourceDefinition[] => [
  bareMetalHostCrd(),
  hardwareDataCrd(),
  hostFirmwareSettingsCrd(),
  firmwareSchemaCrd(),
  hostFirmwareComponentsCrd(),
];

/** The file name and YAML text of each CRD, as deploy/kubernetes/crds holds them. */
export function crdFiles(): { name: string; text: string }[] {
  return customResourceDefinitions().map((definition) => ({
    name: `${definition.metadata.name}.yaml`,
    text:
      '# Generated by `npm run crds` from libs/metal3 (@ingot/metal3). Do not edit.\n' +
      stringify(definition, { lineWidth: 0, singleQuote: true }),
  }));
}
