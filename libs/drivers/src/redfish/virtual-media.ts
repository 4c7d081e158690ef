import { BmcError } from '../errors.js';
import type { VirtualMediaDevice, VirtualMediaState } from '../interfaces.js';
import type { RedfishClient } from './client.js';
import {
  asResource,
  linkOf,
  linksOf,
  membersOf,
  stringOf,
  stringsOf,
  type Resource,
} from './resource.js';
import type { SystemLocator } from './system.js';

/** MediaTypes (VirtualMedia schema) that can play each device. */
const MEDIA_TYPES: Record<VirtualMediaDevice, string[]> = {
  cd: ['CD', 'DVD'],
  usb: ['USBStick', 'USB'],
};

/**
 * The virtual media slot for a CD or a USB stick: looked up once under the managers of the
 * system (Links.ManagedBy), then under the system itself as newer BMCs place it.
 */
export class VirtualMediaSlots {
  private readonly paths = new Map<VirtualMediaDevice, string>();

  constructor(
    private readonly client: RedfishClient,
    private readonly system: SystemLocator,
  ) {}

  async insert(url: string, device: VirtualMediaDevice): Promise<void> {
    const slot = await this.slot(device);
    if (slot.resource.Inserted === true && slot.resource.Image === url) return;
    if (slot.resource.Inserted === true) await this.eject(device);
    await this.client.post(actionTarget(slot, 'InsertMedia'), {
      Image: url,
      Inserted: true,
      WriteProtected: true,
    });
  }

  async eject(device: VirtualMediaDevice): Promise<void> {
    const slot = await this.slot(device);
    if (slot.resource.Inserted === false) return;
    await this.client.post(actionTarget(slot, 'EjectMedia'), {});
  }

  /** Every virtual media slot the BMC offers, as Ironic's get_virtual_media lists them. */
  async list(): Promise<VirtualMediaState[]> {
    const slots: VirtualMediaState[] = [];
    for (const collection of await this.collections()) {
      for (const path of membersOf(await this.client.get(collection))) {
        const resource = await this.client.get(path);
        slots.push({
          media_types: stringsOf(resource.MediaTypes) ?? [],
          inserted: resource.Inserted === true,
          image: stringOf(resource.Image) ?? null,
        });
      }
    }
    return slots;
  }

  private async slot(device: VirtualMediaDevice): Promise<Slot> {
    const known = this.paths.get(device);
    if (known) return { path: known, resource: await this.client.get(known) };
    const searched: string[] = [];
    for (const collection of await this.collections()) {
      searched.push(collection);
      for (const path of membersOf(await this.client.get(collection))) {
        const resource = await this.client.get(path);
        const types = stringsOf(resource.MediaTypes) ?? [];
        if (types.some((t) => MEDIA_TYPES[device].includes(t))) {
          this.paths.set(device, path);
          return { path, resource };
        }
      }
    }
    throw new BmcError(
      'unsupported',
      `BMC at ${this.client.config.bmc} offers no virtual media for ${device.toUpperCase()} ` +
        `(searched ${searched.join(', ') || 'no VirtualMedia collection found'})`,
    );
  }

  private async collections(): Promise<string[]> {
    const system = await this.system.read();
    const found: string[] = [];
    for (const managerPath of linksOf(asResource(system.Links).ManagedBy)) {
      const media = linkOf((await this.client.get(managerPath)).VirtualMedia);
      if (media) found.push(media);
    }
    const own = linkOf(system.VirtualMedia);
    if (own) found.push(own);
    return found;
  }
}

interface Slot {
  path: string;
  resource: Resource;
}

function actionTarget(slot: Slot, action: 'InsertMedia' | 'EjectMedia'): string {
  const declared = asResource(asResource(slot.resource.Actions)[`#VirtualMedia.${action}`]);
  return stringOf(declared.target) ?? `${slot.path}/Actions/VirtualMedia.${action}`;
}
