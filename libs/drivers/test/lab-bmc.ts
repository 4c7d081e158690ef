// Shared set-up: lab BMCs on loopback and hardware types loaded against them, torn down after each test.
import { expect } from 'vitest';
import { RedfishBmc, type RedfishBmcOptions } from '../../../lab/src/index.js';
import { BmcError, loadHardware, type HardwareType } from '../src/index.js';

/** Distinctive, so a test can prove it never shows up in an error message. */
export const PASSWORD = 'Pw-7f3c9e-do-not-leak';

const bmcs: RedfishBmc[] = [];
const loaded: HardwareType[] = [];

export async function startBmc(opts: RedfishBmcOptions = {}): Promise<RedfishBmc> {
  const bmc = await RedfishBmc.start({ username: 'admin', password: PASSWORD, ...opts });
  bmcs.push(bmc);
  return bmc;
}

/** driver_info for a lab BMC; HTTP basic unless the test says otherwise. */
export function driverInfoFor(bmc: RedfishBmc, extra: Record<string, unknown> = {}) {
  return {
    redfish_address: bmc.url,
    redfish_system_id: bmc.systemPath,
    redfish_username: bmc.username,
    redfish_password: bmc.password,
    redfish_auth_type: 'basic',
    ...extra,
  };
}

export function redfish(driverInfo: Record<string, unknown>, nodeUuid = 'node-1'): HardwareType {
  const hardware = loadHardware({ driver: 'redfish', driverInfo, nodeUuid });
  loaded.push(hardware);
  return hardware;
}

export async function cleanUp(): Promise<void> {
  await Promise.all(loaded.splice(0).map((hardware) => hardware.close()));
  await Promise.all(bmcs.splice(0).map((bmc) => bmc.stop()));
}

/** Runs `action`, expects a BmcError of `kind`, and returns it for further checks. */
export async function bmcError(action: () => unknown, kind: BmcError['kind']): Promise<BmcError> {
  try {
    await action();
  } catch (err) {
    expect(err).toBeInstanceOf(BmcError);
    expect((err as BmcError).kind, (err as Error).message).toBe(kind);
    return err as BmcError;
  }
  throw new Error(`expected a BmcError of kind ${kind}, but the action succeeded`);
}
