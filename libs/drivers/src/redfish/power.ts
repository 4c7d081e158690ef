import type { PowerState, PowerTarget } from '@ingot/contracts';
import { BmcError } from '../errors.js';
import type { PowerInterface } from '../interfaces.js';
import type { RedfishClient } from './client.js';
import { asResource, stringOf, stringsOf, type Resource } from './resource.js';
import type { SystemLocator } from './system.js';

export const DEFAULT_POWER_TIMEOUT_MS = 30_000;

type Settled = 'power on' | 'power off';

/** What each target asks of a server that is on or off, and where it ends (Ironic's mapping). */
const PLAN: Record<PowerTarget, { whenOn: string | null; whenOff: string | null; ends: Settled }> =
  {
    'power on': { whenOn: null, whenOff: 'On', ends: 'power on' },
    'power off': { whenOn: 'ForceOff', whenOff: null, ends: 'power off' },
    'soft power off': { whenOn: 'GracefulShutdown', whenOff: null, ends: 'power off' },
    rebooting: { whenOn: 'ForceRestart', whenOff: 'On', ends: 'power on' },
    'soft rebooting': { whenOn: 'GracefulRestart', whenOff: 'On', ends: 'power on' },
  };

/**
 * Where to POST the system's ComputerSystem.Reset of `resetType`; refused when the BMC lists the
 * reset types it offers and this one is not among them.
 */
export function resetTargetOf(system: Resource, resetType: string, bmc: string): string {
  const action = asResource(asResource(system.Actions)['#ComputerSystem.Reset']);
  const allowed = stringsOf(action['ResetType@Redfish.AllowableValues']);
  if (allowed && !allowed.includes(resetType)) {
    throw new BmcError(
      'unsupported',
      `BMC at ${bmc} does not offer ResetType ${resetType} (it offers ${allowed.join(', ')})`,
    );
  }
  const self = stringOf(system['@odata.id']) ?? '';
  return stringOf(action.target) ?? `${self}/Actions/ComputerSystem.Reset`;
}

/** Redfish PowerState, with transitions counted as their destination as Ironic does. */
export function toPowerState(redfish: unknown): PowerState {
  if (redfish === 'On' || redfish === 'PoweringOn') return 'power on';
  if (redfish === 'Off' || redfish === 'PoweringOff') return 'power off';
  return 'error';
}

const SETTLED: Record<Settled, string> = { 'power on': 'On', 'power off': 'Off' };

export class RedfishPower implements PowerInterface {
  constructor(
    private readonly client: RedfishClient,
    private readonly system: SystemLocator,
  ) {}

  async validate(): Promise<{ systemId: string }> {
    await this.system.read();
    return { systemId: await this.system.path() };
  }

  async getPowerState(): Promise<PowerState> {
    return toPowerState((await this.system.read()).PowerState);
  }

  async setPowerState(target: PowerTarget, opts: { timeoutMs?: number } = {}): Promise<PowerState> {
    const plan = PLAN[target];
    const system = await this.system.read();
    const isOn = toPowerState(system.PowerState) === 'power on';
    const resetType = isOn ? plan.whenOn : plan.whenOff;
    if (resetType === null) return plan.ends;
    await this.client.post(resetTargetOf(system, resetType, this.client.config.bmc), {
      ResetType: resetType,
    });
    return this.waitFor(plan.ends, resetType, opts.timeoutMs ?? DEFAULT_POWER_TIMEOUT_MS);
  }

  /** Polls until the BMC reports the settled state; a Reset is accepted long before it is done. */
  private async waitFor(ends: Settled, resetType: string, timeoutMs: number): Promise<PowerState> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (let interval = 100; ; interval = Math.min(interval * 2, 1_000)) {
      last = (await this.system.read()).PowerState;
      if (last === SETTLED[ends]) return ends;
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(interval, left)));
    }
    throw new BmcError(
      'timeout',
      `BMC at ${this.client.config.bmc} did not report ${ends} within ${timeoutMs} ms after ` +
        `${resetType} (last reported PowerState: ${String(last)})`,
    );
  }
}
