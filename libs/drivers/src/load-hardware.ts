import { DRIVERS } from '@ingot/contracts';
import { BmcError } from './errors.js';
import { fakeHardware } from './fake/fake-hardware.js';
import type { HardwareType } from './interfaces.js';
import { parseIpmiConfig } from './ipmi/driver-config.js';
import { ipmiHardware } from './ipmi/hardware.js';
import { parseRedfishConfig } from './redfish/driver-config.js';
import { redfishHardware } from './redfish/hardware.js';

export interface LoadHardwareInput {
  driver: string;
  /** The node's driver_info, secrets included. */
  driverInfo: Record<string, unknown>;
  nodeUuid: string;
}

/**
 * The hardware type of a node, ready to use. Checks driver_info first, so a wrong field is
 * reported as kind 'invalid_config' naming it, before any BMC is contacted.
 */
export function loadHardware({ driver, driverInfo, nodeUuid }: LoadHardwareInput): HardwareType {
  switch (driver) {
    case 'redfish':
      return redfishHardware(parseRedfishConfig(driverInfo, nodeUuid));
    case 'ipmi':
      return ipmiHardware(parseIpmiConfig(driverInfo, nodeUuid));
    case 'fake-hardware':
      return fakeHardware(nodeUuid);
    default:
      throw new BmcError(
        'invalid_config',
        `node ${nodeUuid} has driver ${JSON.stringify(driver)}, which Ingot does not have; use one of ${DRIVERS.join(', ')}`,
        { field: 'driver' },
      );
  }
}
