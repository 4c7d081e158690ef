import type { BareMetalHostSpec } from '@ingot/metal3';
import type { BiosSettingRow } from '@ingot/store';
import type { SettingChange } from './firmware-settings.js';

// spec.firmware (Metal3's deprecated FirmwareConfig) as BIOS settings. baremetal-operator had
// each driver name its vendor's attributes (iRMC, iLO 4); Ingot looks the vendors' names up in
// the server's own BIOS registry, so any Redfish BMC whose BIOS uses one of them works.

export type FirmwareConfig = NonNullable<BareMetalHostSpec['firmware']>;

/** The attribute names vendors give each spec.firmware field, in the order they are tried. */
export const FIRMWARE_CONFIG_ATTRIBUTES: Record<keyof FirmwareConfig, readonly string[]> = {
  // Dell iDRAC: LogicalProc; HPE iLO: ProcHyperthreading; Ingot's lab and others: ProcHyperThreading.
  simultaneousMultithreadingEnabled: ['ProcHyperThreading', 'LogicalProc', 'ProcHyperthreading'],
  // Dell iDRAC: SriovGlobalEnable; HPE iLO: Sriov.
  sriovEnabled: ['SriovGlobalEnable', 'Sriov'],
  // Dell iDRAC and HPE iLO: ProcVirtualization; Intel: IntelVirtualizationTechnology.
  virtualizationEnabled: ['ProcVirtualization', 'IntelVirtualizationTechnology'],
};

/** The value that says on or off in a setting of this type (Enabled/Disabled, true/false). */
function valueFor(row: BiosSettingRow, on: boolean): string | undefined {
  if (row.attributeType === 'Boolean') return String(on);
  const wanted = on ? 'Enabled' : 'Disabled';
  const allowed = row.allowableValues;
  if (!allowed || allowed.length === 0) return wanted;
  return allowed.find((v) => v.toLowerCase() === wanted.toLowerCase());
}

/**
 * The BIOS settings spec.firmware asks for, in the server's own names and values. Throws a message
 * naming the field when the BIOS has none of its attributes.
 */
export function firmwareConfigSettings(
  config: FirmwareConfig | undefined,
  rows: readonly BiosSettingRow[],
): SettingChange[] {
  if (!config) return [];
  const byName = new Map(rows.map((row) => [row.name, row]));
  const settings: SettingChange[] = [];
  for (const [field, names] of Object.entries(FIRMWARE_CONFIG_ATTRIBUTES)) {
    const on = config[field as keyof FirmwareConfig];
    if (on === undefined) continue;
    const row = names.map((name) => byName.get(name)).find((r) => r !== undefined);
    const value = row && valueFor(row, on);
    if (!row || value === undefined)
      throw new Error(
        `spec.firmware.${field} cannot be applied: the server's BIOS has no setting ${names.join(', ')} with ${on ? 'an enabled' : 'a disabled'} value`,
      );
    settings.push({ name: row.name, value });
  }
  return settings;
}
