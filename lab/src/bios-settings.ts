/**
 * The firmware setup of a simulated server: its BIOS attributes, the registry that describes them
 * (DMTF's AttributeRegistry), and the settings waiting for the next boot. It knows nothing of
 * HTTP; redfish-bios.ts publishes it.
 */

export type BiosValue = string | number | boolean;

/** One RegistryEntries.Attributes[] entry of a BIOS attribute registry (DMTF AttributeRegistry). */
export interface BiosAttributeEntry {
  AttributeName: string;
  Type: 'Enumeration' | 'String' | 'Integer' | 'Boolean' | 'Password';
  DisplayName: string;
  DefaultValue: BiosValue;
  ReadOnly: boolean;
  ResetRequired: boolean;
  /** Unique to this system (a serial number, an asset tag): not copied between servers. */
  IsSystemUniqueProperty?: boolean;
  Value?: { ValueName: string; ValueDisplayName: string }[];
  LowerBound?: number;
  UpperBound?: number;
  ScalarIncrement?: number;
  MinLength?: number;
  MaxLength?: number;
}

export const BIOS_REGISTRY_ID = 'BiosAttributeRegistryLab.1.0.0';

const choices = (...names: string[]) => names.map((n) => ({ ValueName: n, ValueDisplayName: n }));
const enumeration = (
  name: string,
  display: string,
  values: string[],
  resetRequired = true,
): BiosAttributeEntry => ({
  AttributeName: name,
  Type: 'Enumeration',
  DisplayName: display,
  DefaultValue: values[0] ?? '',
  ReadOnly: false,
  ResetRequired: resetRequired,
  Value: choices(...values),
});

/** A plausible server BIOS: every registry type, bounds, lengths and one read-only attribute. */
export const BIOS_ATTRIBUTES: readonly BiosAttributeEntry[] = [
  enumeration('BootMode', 'Boot Mode', ['Uefi', 'Bios']),
  enumeration('ProcTurboMode', 'Turbo Boost', ['Enabled', 'Disabled']),
  enumeration('ProcVirtualization', 'Virtualization Technology', ['Enabled', 'Disabled']),
  enumeration('ProcHyperThreading', 'Logical Processor', ['Enabled', 'Disabled']),
  enumeration('SriovGlobalEnable', 'SR-IOV Global Enable', ['Disabled', 'Enabled']),
  enumeration('SysProfile', 'System Profile', ['PerfPerWattOptimized', 'PerfOptimized', 'Custom']),
  enumeration('PxeDev1EnDis', 'PXE Device 1', ['Enabled', 'Disabled']),
  enumeration('SerialComm', 'Serial Communication', ['OnConRedirCom1', 'OnNoConRedir', 'Off']),
  {
    AttributeName: 'BootTimeoutSeconds',
    Type: 'Integer',
    DisplayName: 'Boot Menu Timeout',
    DefaultValue: 5,
    ReadOnly: false,
    ResetRequired: true,
    LowerBound: 0,
    UpperBound: 60,
    ScalarIncrement: 1,
  },
  {
    AttributeName: 'NumaNodesPerSocket',
    Type: 'Integer',
    DisplayName: 'NUMA Nodes Per Socket',
    DefaultValue: 1,
    ReadOnly: false,
    ResetRequired: true,
    LowerBound: 1,
    UpperBound: 4,
    ScalarIncrement: 1,
  },
  {
    AttributeName: 'AssetTag',
    Type: 'String',
    DisplayName: 'Asset Tag',
    DefaultValue: '',
    ReadOnly: false,
    ResetRequired: false,
    IsSystemUniqueProperty: true,
    MinLength: 0,
    MaxLength: 16,
  },
  {
    AttributeName: 'UsbPortsEnabled',
    Type: 'Boolean',
    DisplayName: 'USB Ports Enabled',
    DefaultValue: true,
    ReadOnly: false,
    ResetRequired: true,
  },
  {
    AttributeName: 'WatchdogEnabled',
    Type: 'Boolean',
    DisplayName: 'OS Watchdog Timer',
    DefaultValue: false,
    ReadOnly: false,
    ResetRequired: true,
  },
  {
    AttributeName: 'SystemServiceTag',
    Type: 'String',
    DisplayName: 'Service Tag',
    DefaultValue: 'LAB0000',
    ReadOnly: true,
    ResetRequired: false,
    IsSystemUniqueProperty: true,
    MaxLength: 7,
  },
];

const ENTRIES = new Map(BIOS_ATTRIBUTES.map((entry) => [entry.AttributeName, entry]));

/** Why the registry refuses a value: the Redfish MessageId and a sentence naming the attribute. */
export interface BiosRefusal {
  /** A Base registry message: PropertyUnknown, PropertyNotWritable, PropertyValueTypeError... */
  messageId: string;
  message: string;
}

/** Checks one attribute change against the registry; undefined when it is acceptable. */
export function refusal(name: string, value: unknown): BiosRefusal | undefined {
  const entry = ENTRIES.get(name);
  const shown = JSON.stringify(value);
  if (!entry) {
    return { messageId: 'PropertyUnknown', message: `The BIOS has no attribute ${name}.` };
  }
  if (entry.ReadOnly) {
    return {
      messageId: 'PropertyNotWritable',
      message: `The BIOS attribute ${name} is read-only.`,
    };
  }
  const typeError = (type: string): BiosRefusal => ({
    messageId: 'PropertyValueTypeError',
    message: `The value ${shown} for the BIOS attribute ${name} is not ${type}.`,
  });
  switch (entry.Type) {
    case 'Boolean':
      return typeof value === 'boolean' ? undefined : typeError('a boolean');
    case 'Integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return typeError('an integer');
      const low = entry.LowerBound ?? -Infinity;
      const high = entry.UpperBound ?? Infinity;
      if (value >= low && value <= high) return undefined;
      return {
        messageId: 'PropertyValueOutOfRange',
        message: `The value ${shown} for the BIOS attribute ${name} is outside its range ${low}..${high}.`,
      };
    }
    case 'Enumeration': {
      if (typeof value !== 'string') return typeError('a string');
      const allowed = (entry.Value ?? []).map((v) => v.ValueName);
      if (allowed.includes(value)) return undefined;
      return {
        messageId: 'PropertyValueNotInList',
        message: `The value ${shown} for the BIOS attribute ${name} is not one of ${allowed.join(', ')}.`,
      };
    }
    default: {
      if (typeof value !== 'string') return typeError('a string');
      const min = entry.MinLength ?? 0;
      const max = entry.MaxLength ?? Infinity;
      if (value.length >= min && value.length <= max) return undefined;
      return {
        messageId: 'PropertyValueIncorrect',
        message: `The value ${shown} for the BIOS attribute ${name} must be ${min} to ${max} characters long.`,
      };
    }
  }
}

const defaults = (): Record<string, BiosValue> =>
  Object.fromEntries(BIOS_ATTRIBUTES.map((e) => [e.AttributeName, e.DefaultValue]));

/**
 * The attributes in effect, the changes staged through the Settings resource, and a pending
 * ResetBios. As on real servers, nothing staged takes effect before the server next boots.
 */
export class BiosSettings {
  current: Record<string, BiosValue>;
  pending: Record<string, BiosValue> = {};
  resetPending = false;

  constructor(serviceTag: string) {
    this.current = { ...defaults(), SystemServiceTag: serviceTag };
  }

  /** Stages changes already checked with refusal(); later changes of one attribute win. */
  stage(changes: Record<string, BiosValue>): void {
    this.pending = { ...this.pending, ...changes };
  }

  /** Bios.ResetBios: defaults at the next boot, dropping what was staged before it. */
  stageReset(): void {
    this.resetPending = true;
    this.pending = {};
  }

  /** The server boots: a staged reset, then the staged changes, become the current settings. */
  applyAtBoot(): void {
    if (this.resetPending) {
      this.current = { ...defaults(), SystemServiceTag: this.current.SystemServiceTag ?? '' };
    }
    this.current = { ...this.current, ...this.pending };
    this.pending = {};
    this.resetPending = false;
  }
}
