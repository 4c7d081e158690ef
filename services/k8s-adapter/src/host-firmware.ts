import { and, eq } from 'drizzle-orm';
import type { TargetRaidConfig } from '@ingot/contracts';
import type { BareMetalHost } from '@ingot/metal3';
import { chosenInterfaces, requestProvision } from '@ingot/node-commands';
import { biosSettingsOf, nodes, type NodeRow } from '@ingot/store';
import { recordComponentUpdates, syncFirmwareComponents } from './firmware-components.js';
import { syncFirmwareSettings } from './firmware-settings.js';
import { canonical } from './host-status.js';
import { preparationOf, servicingOf, type FirmwareInputs, type Plan } from './preparation.js';
import type { ReconcilerDeps } from './reconcile-context.js';

// The firmware side of a host's reconcile: its HostFirmwareSettings and HostFirmwareComponents
// brought up to date, what preparing or servicing would do, and doing it.

/** What the host's hardware configuration asks of its server now. */
export interface HostWork {
  inputs: FirmwareInputs;
  /** The manual clean of preparing; undefined with `problem`. */
  preparation?: Plan;
  /** The servicing of a provisioned host. */
  servicing: Plan;
  /** Why the configuration cannot be applied (a preparation error). */
  problem?: string;
}

/** States whose node has its BIOS settings and firmware components read (it was managed). */
const UNREGISTERED = new Set(['enroll', 'verifying']);

/**
 * Syncs the host's firmware resources with the node and plans the work they and spec.raid /
 * spec.firmware ask for. Undefined for a node not registered yet (nothing was read from its BMC).
 */
export async function hostWorkOf(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow,
): Promise<HostWork | undefined> {
  if (UNREGISTERED.has(node.provisionState)) return undefined;
  const inputs: FirmwareInputs = {
    hfs: await syncFirmwareSettings(deps, host, node),
    hfc: await syncFirmwareComponents(deps, host, node),
    bios: await biosSettingsOf(deps.commands.db, node.uuid),
  };
  const servicing = servicingOf(host, inputs);
  try {
    return { inputs, preparation: preparationOf(host, node, inputs), servicing };
  } catch (error) {
    return { inputs, servicing, problem: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Starts the preparation: target_raid_config set when the clean builds RAID (as PUT
 * /v1/nodes/{node}/states/raid does), then the manual clean; the HostFirmwareComponents' updates
 * recorded as started. A plan with no step only has its record to write.
 */
export async function startPreparation(
  deps: ReconcilerDeps,
  node: NodeRow,
  plan: Plan,
  work: HostWork,
  requestId: string,
): Promise<void> {
  if (plan.raidInterface) await setRaidInterface(deps, node, plan.raidInterface);
  if (
    plan.targetRaidConfig &&
    canonical(plan.targetRaidConfig) !== canonical(node.targetRaidConfig)
  )
    await setTargetRaidConfig(deps, node, plan.targetRaidConfig);
  if (plan.steps.length > 0)
    await requestProvision(deps.commands, node, 'clean', requestId, { cleanSteps: plan.steps });
  await recordUpdatesStarted(deps, plan, work);
}

/** Starts the servicing of a provisioned host with the plan's service steps. */
export async function startServicing(
  deps: ReconcilerDeps,
  node: NodeRow,
  plan: Plan,
  work: HostWork,
  requestId: string,
): Promise<void> {
  await requestProvision(deps.commands, node, 'service', requestId, {
    serviceSteps: plan.steps,
  });
  await recordUpdatesStarted(deps, plan, work);
}

/** status.updates = spec.updates once the updates are under way (saveHostFirmwareComponents). */
async function recordUpdatesStarted(deps: ReconcilerDeps, plan: Plan, work: HostWork) {
  const hfc = work.inputs.hfc;
  if (plan.startsUpdates && hfc) await recordComponentUpdates(deps, hfc, hfc.spec?.updates ?? []);
}

/** After a failed clean or servicing, the updates it started are forgotten: they run again. */
export async function forgetUpdatesStarted(deps: ReconcilerDeps, work: HostWork): Promise<void> {
  const hfc = work.inputs.hfc;
  if (hfc?.status?.updates) await recordComponentUpdates(deps, hfc, undefined);
}

/** The node's target_raid_config, only while it still rests where the plan was made. */
async function setTargetRaidConfig(
  deps: ReconcilerDeps,
  node: NodeRow,
  config: TargetRaidConfig,
): Promise<void> {
  await deps.commands.db
    .update(nodes)
    .set({ targetRaidConfig: config as unknown as Record<string, unknown>, updatedAt: new Date() })
    .where(and(eq(nodes.uuid, node.uuid), eq(nodes.provisionState, node.provisionState)));
}

/**
 * The node's raid_interface as the RAID steps need it (BMO sets raid_interface before the target):
 * stored as the API stores a choice, null for the hardware type's default.
 */
async function setRaidInterface(deps: ReconcilerDeps, node: NodeRow, raid: string): Promise<void> {
  const { raidInterface } = chosenInterfaces(node.driver, { raid_interface: raid });
  if (raidInterface === (node.raidInterface ?? null)) return;
  await deps.commands.db
    .update(nodes)
    .set({ raidInterface, updatedAt: new Date() })
    .where(and(eq(nodes.uuid, node.uuid), eq(nodes.provisionState, node.provisionState)));
}
