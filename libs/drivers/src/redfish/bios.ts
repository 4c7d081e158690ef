import { BmcError, isBmcError } from '../errors.js';
import type {
  BiosChange,
  BiosInterface,
  BiosPending,
  BiosSetting,
  BiosValue,
} from '../interfaces.js';
import { checkBiosValue, settingOf, type RegistryEntry } from './bios-registry.js';
import type { RedfishClient } from './client.js';
import { asResource, linkOf, membersOf, stringOf, type Resource } from './resource.js';
import type { SystemLocator } from './system.js';

/**
 * Ironic's redfish bios interface (sushy's system.bios): settings from the Bios resource described
 * by its AttributeRegistry, changes staged through its @Redfish.Settings object, which the server
 * applies at its next boot, and the Bios.ResetBios action.
 */
export class RedfishBios implements BiosInterface {
  private registry: Promise<Map<string, RegistryEntry>> | undefined;

  constructor(
    private readonly client: RedfishClient,
    private readonly system: SystemLocator,
  ) {}

  async getSettings(): Promise<Record<string, BiosSetting>> {
    const { bios } = await this.bios();
    const registry = await this.registryOf(bios);
    const attributes = asResource(bios.Attributes);
    return Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [
        name,
        settingOf(name, value as BiosValue, registry.get(name)),
      ]),
    );
  }

  async applySettings(settings: { name: string; value: BiosValue }[]): Promise<BiosChange> {
    const { bmc } = this.client.config;
    if (settings.length === 0) return { staged: {}, rebootRequired: false };
    const { path, bios } = await this.bios();
    const registry = await this.registryOf(bios);
    const known = new Set(Object.keys(asResource(bios.Attributes)));
    const staged: Record<string, BiosValue> = {};
    const problems: string[] = [];
    for (const { name, value } of settings) {
      const checked = checkBiosValue(name, value, registry.get(name), known.has(name));
      if ('problem' in checked) problems.push(checked.problem);
      else staged[name] = checked.value;
    }
    if (problems.length > 0) {
      throw new BmcError(
        'invalid_config',
        `BIOS of ${await this.system.path()} at BMC ${bmc} refuses ${problems.join('; ')}`,
      );
    }
    const holder = asResource(bios['@Redfish.Settings']);
    const target = linkOf(holder.SettingsObject) ?? `${path}/Settings`;
    const applyTimes = Array.isArray(holder.SupportedApplyTimes) ? holder.SupportedApplyTimes : [];
    const body = {
      Attributes: staged,
      ...(applyTimes.includes('OnReset')
        ? { '@Redfish.SettingsApplyTime': { ApplyTime: 'OnReset' } }
        : {}),
    };
    try {
      await this.client.patch(target, body);
    } catch (err) {
      // The BMC's own registry check: its message names the attribute.
      if (!isBmcError(err) || err.status !== 400) throw err;
      throw new BmcError(
        'invalid_config',
        `BMC at ${bmc} refused the BIOS settings ${Object.keys(staged).join(', ')}: ${err.message}`,
        { status: 400, cause: err },
      );
    }
    // A BMC whose Settings object is the Bios resource itself applies at once.
    return { staged, rebootRequired: target !== path };
  }

  async factoryReset(): Promise<void> {
    const { path, bios } = await this.bios();
    const action = asResource(asResource(bios.Actions)['#Bios.ResetBios']);
    await this.client.post(stringOf(action.target) ?? `${path}/Actions/Bios.ResetBios`, {});
  }

  async pendingSettings(): Promise<BiosPending> {
    const { path, bios } = await this.bios();
    const target = linkOf(asResource(bios['@Redfish.Settings']).SettingsObject);
    const future = target && target !== path ? await this.client.get(target) : {};
    return {
      settings: { ...(asResource(future.Attributes) as Record<string, BiosValue>) },
      factoryReset: bios.ResetBiosToDefaultsPending === true,
    };
  }

  private async bios(): Promise<{ path: string; bios: Resource }> {
    const system = await this.system.read();
    const path = linkOf(system.Bios);
    if (!path) {
      throw new BmcError(
        'unsupported',
        `BMC at ${this.client.config.bmc} has no Bios resource on ${await this.system.path()}: it cannot read or change BIOS settings`,
      );
    }
    return { path, bios: await this.client.get(path) };
  }

  /** The AttributeRegistry the Bios names, found under the service's Registries; read once. */
  private registryOf(bios: Resource): Promise<Map<string, RegistryEntry>> {
    this.registry ??= this.loadRegistry(stringOf(bios.AttributeRegistry));
    this.registry.catch(() => (this.registry = undefined));
    return this.registry;
  }

  private async loadRegistry(name: string | undefined): Promise<Map<string, RegistryEntry>> {
    const entries = new Map<string, RegistryEntry>();
    const collection = linkOf((await this.client.serviceRoot()).Registries);
    if (!name || !collection) return entries;
    for (const path of membersOf(await this.client.get(collection))) {
      const file = await this.client.get(path);
      if (file.Id !== name && file.Registry !== name) continue;
      const locations = Array.isArray(file.Location) ? file.Location.map(asResource) : [];
      const location = locations.find((l) => l.Language === 'en') ?? locations[0];
      const uri = stringOf(location?.Uri);
      if (!uri) break;
      const registry = await this.client.get(uri);
      const attributes = asResource(registry.RegistryEntries).Attributes;
      for (const entry of Array.isArray(attributes) ? attributes.map(asResource) : []) {
        const attributeName = stringOf(entry.AttributeName);
        if (attributeName) entries.set(attributeName, entry);
      }
      break;
    }
    return entries;
  }
}
