import type { TargetRaidConfig } from '@ingot/contracts';
import type {
  BareMetalHost,
  HostFirmwareComponents,
  HostFirmwareSettings,
  RaidConfig,
} from '@ingot/metal3';
import type { BiosSettingRow, NodeRow } from '@ingot/store';
import { componentUpdatesOf } from './firmware-components.js';
import { firmwareConfigSettings, type FirmwareConfig } from './firmware-config.js';
import { settingChangesOf, type SettingChange } from './firmware-settings.js';
import { canonical } from './host-status.js';
import {
  raidCleanSteps,
  raidInterfaceFor,
  raidRecordOf,
  targetRaidConfigOf,
} from './raid-target.js';
import type { CleanStep } from './raid-target.js';

// What a host's hardware configuration asks of its server: the manual clean of `preparing`
// (baremetal-operator's actionPreparing + buildManualCleaningSteps) and the servicing of a
// provisioned host (doServiceIfNeeded + buildServiceSteps).

/** What status.provisioning records of a preparation once it has started. */
export interface PreparedRecord {
  raid?: RaidConfig;
  firmware?: FirmwareConfig;
}

export interface Plan {
  /** Clean steps (preparing) or service steps (servicing), in the order they run. */
  steps: CleanStep[];
  /** target_raid_config to set before the steps, when they build RAID volumes. */
  targetRaidConfig?: TargetRaidConfig;
  /** raid_interface the RAID steps run with (agent for software RAID), set before them. */
  raidInterface?: string;
  /** status.provisioning.raid and .firmware once the steps are under way. */
  record: PreparedRecord;
  /** The record differs from the host's status (even with no step to run). */
  recordChanged: boolean;
  /** The steps flash spec.updates of the HostFirmwareComponents (status.updates follows). */
  startsUpdates: boolean;
}

/** A plan with something to do. */
export const planNeeded = (plan: Plan) => plan.steps.length > 0 || plan.recordChanged;

/** What the host's firmware resources ask for, read once per reconcile. */
export interface FirmwareInputs {
  /** The node's cached BIOS settings (with their registry). */
  bios: readonly BiosSettingRow[];
  hfs?: HostFirmwareSettings;
  hfc?: HostFirmwareComponents;
}

/** BIOS settings and firmware updates as bios and firmware steps (BMO's order). */
function firmwareSteps(settings: SettingChange[], inputs: FirmwareInputs): CleanStep[] {
  const steps: CleanStep[] = [];
  if (settings.length > 0)
    steps.push({ interface: 'bios', step: 'apply_configuration', args: { settings } });
  const updates = componentUpdatesOf(inputs.hfc);
  if (updates.length > 0)
    steps.push({
      interface: 'firmware',
      step: 'update',
      args: { settings: updates.map((u) => ({ component: u.component, url: u.url })) },
    });
  return steps;
}

/** Settings named once: the first asking wins (spec.firmware before HostFirmwareSettings). */
function merged(...lists: SettingChange[][]): SettingChange[] {
  const seen = new Set<string>();
  return lists.flat().filter((s) => !seen.has(s.name) && seen.add(s.name));
}

/**
 * The manual clean that prepares the host's server: RAID delete/create when spec.raid differs from
 * what status.provisioning.raid says was built, bios apply_configuration for spec.firmware (when it
 * changed; only the settings not already so) and for a valid HostFirmwareSettings change, firmware
 * update for a valid HostFirmwareComponents change. Throws a message for a spec that cannot be.
 */
export function preparationOf(host: BareMetalHost, node: NodeRow, inputs: FirmwareInputs): Plan {
  const spec = host.spec!;
  const recorded = host.status?.provisioning;
  const raid = raidRecordOf(spec.raid, recorded?.raid);
  const raidChoice = raidInterfaceFor(node, raid, recorded?.raid);
  if ('problem' in raidChoice) throw new Error(raidChoice.problem);
  const raidSteps = raidCleanSteps(raid, recorded?.raid);
  const targetRaidConfig = raidSteps.some((s) => s.step === 'create_configuration')
    ? targetRaidConfigOf(raid!, spec.rootDeviceHints !== undefined)
    : undefined;

  const firmwareChanged = canonical(spec.firmware) !== canonical(recorded?.firmware);
  const current = new Map(inputs.bios.map((row) => [row.name, row.value ?? '']));
  const fromFirmwareConfig = firmwareChanged
    ? firmwareConfigSettings(spec.firmware, inputs.bios).filter(
        (s) => current.get(s.name) !== String(s.value),
      )
    : [];
  const settings = merged(fromFirmwareConfig, settingChangesOf(inputs.hfs));
  const steps = [...raidSteps, ...firmwareSteps(settings, inputs)];
  const record: PreparedRecord = {
    ...(raid ? { raid } : {}),
    ...(spec.firmware ? { firmware: spec.firmware } : {}),
  };
  return {
    steps,
    ...(targetRaidConfig ? { targetRaidConfig } : {}),
    ...(raidSteps.length > 0 ? { raidInterface: raidChoice.raidInterface } : {}),
    record,
    recordChanged:
      canonical(raid) !== canonical(recorded?.raid) ||
      canonical(spec.firmware) !== canonical(recorded?.firmware),
    startsUpdates: componentUpdatesOf(inputs.hfc).length > 0,
  };
}

/**
 * The servicing of a provisioned host: bios apply_configuration for a valid HostFirmwareSettings
 * change and firmware update for a valid HostFirmwareComponents change. RAID and spec.firmware
 * are applied only while preparing, as baremetal-operator does.
 */
export function servicingOf(host: BareMetalHost, inputs: FirmwareInputs): Plan {
  return {
    steps: firmwareSteps(settingChangesOf(inputs.hfs), inputs),
    record: {
      ...(host.status?.provisioning?.raid ? { raid: host.status.provisioning.raid } : {}),
      ...(host.status?.provisioning?.firmware
        ? { firmware: host.status.provisioning.firmware }
        : {}),
    },
    recordChanged: false,
    startsUpdates: componentUpdatesOf(inputs.hfc).length > 0,
  };
}
