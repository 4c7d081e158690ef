import type { HardwareType } from '../interfaces.js';
import { RedfishBios } from './bios.js';
import { BootModeSetting } from './boot-mode.js';
import { RedfishClient } from './client.js';
import type { RedfishConfig } from './driver-config.js';
import { RedfishFirmware } from './firmware.js';
import { RedfishInspect } from './inspect.js';
import { RedfishManagement } from './management.js';
import { RedfishPower } from './power.js';
import { RedfishRaid } from './raid.js';
import { SecureBootSetting } from './secure-boot.js';
import { SystemLocator } from './system.js';
import { VirtualMediaSlots } from './virtual-media.js';

/** The redfish hardware type: every Redfish interface over one client (one session). */
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
      new BootModeSetting(client, system),
    ),
    inspect: new RedfishInspect(client, system),
    bios: new RedfishBios(client, system),
    raid: new RedfishRaid(client, system),
    firmware: new RedfishFirmware(client, system),
    close: () => client.close(),
  };
}
