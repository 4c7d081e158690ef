import type { HardwareType } from '../interfaces.js';
import { RedfishClient } from './client.js';
import type { RedfishConfig } from './driver-config.js';
import { RedfishInspect } from './inspect.js';
import { RedfishManagement } from './management.js';
import { RedfishPower } from './power.js';
import { SecureBootSetting } from './secure-boot.js';
import { SystemLocator } from './system.js';
import { VirtualMediaSlots } from './virtual-media.js';

/** The redfish hardware type: Redfish power and management over one client (one session). */
export function redfishHardware(config: RedfishConfig): HardwareType {
  const client = new RedfishClient(config);
  const system = new SystemLocator(client, config.systemPath);
  return {
    name: 'redfish',
    power: new RedfishPower(client, system),
    management: new RedfishManagement(
      client,
      system,
      new VirtualMediaSlots(client, system),
      new SecureBootSetting(client, system),
    ),
    inspect: new RedfishInspect(client, system),
    close: () => client.close(),
  };
}
