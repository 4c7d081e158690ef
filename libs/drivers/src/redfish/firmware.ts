import { BmcError } from '../errors.js';
import type {
  FirmwareComponentInfo,
  FirmwareInterface,
  FirmwareTaskHandle,
  FirmwareTaskStatus,
  FirmwareUpdateRequest,
} from '../interfaces.js';
import type { RedfishClient } from './client.js';
import { asResource, linkOf, linksOf, membersOf, stringOf, type Resource } from './resource.js';
import type { SystemLocator } from './system.js';

/** TaskState values (DMTF Task schema) that mean the task is over. */
const COMPLETED = ['Completed'];
const FAILED = ['Exception', 'Killed', 'Cancelled', 'Interrupted'];

/**
 * Ironic's component name for a FirmwareInventory member: bios, bmc, nic:<Id>, else its Id.
 * Inventories differ between vendors, so this reads the Id and Name for the usual words.
 */
function componentName(item: Resource): string {
  const id = stringOf(item.Id) ?? '';
  const words = `${id} ${stringOf(item.Name) ?? ''}`;
  if (/\bbios\b|system rom/i.test(words)) return 'bios';
  if (/\bbmc\b|idrac|\bilo\b|\bxcc\b|manager/i.test(words)) return 'bmc';
  if (/\bnic\d*\b|network|ethernet/i.test(words)) return `nic:${id}`;
  return id.toLowerCase();
}

/** Ironic's validate_firmware_interface_update_args, worded for the person who wrote them. */
function checkRequests(requests: FirmwareUpdateRequest[]): void {
  if (requests.length === 0) {
    throw new BmcError('invalid_config', 'a firmware update needs at least one component');
  }
  for (const { component, url, wait } of requests) {
    if (component !== 'bios' && component !== 'bmc' && !/^nic:.+/.test(component)) {
      throw new BmcError(
        'invalid_config',
        `firmware component ${JSON.stringify(component)} is not one of bios, bmc or nic:<id>`,
      );
    }
    if (!/^https?:\/\/./.test(url)) {
      throw new BmcError(
        'invalid_config',
        `firmware url ${JSON.stringify(url)} for ${component} is not an http(s) URL the BMC can download`,
      );
    }
    if (wait !== undefined && (!Number.isInteger(wait) || wait < 0)) {
      throw new BmcError(
        'invalid_config',
        `firmware wait ${JSON.stringify(wait)} for ${component} is not a whole number of seconds`,
      );
    }
  }
}

/**
 * Ironic's redfish firmware interface: components from the UpdateService's FirmwareInventory
 * (with the System's BiosVersion and the Manager's FirmwareVersion as Ironic reads them when the
 * inventory lacks them), updates through UpdateService.SimpleUpdate, followed by its Task.
 */
export class RedfishFirmware implements FirmwareInterface {
  constructor(
    private readonly client: RedfishClient,
    private readonly system: SystemLocator,
  ) {}

  async components(): Promise<FirmwareComponentInfo[]> {
    const found = new Map<string, FirmwareComponentInfo>();
    const service = await this.updateService().catch(() => undefined);
    const inventory = service && linkOf(service.resource.FirmwareInventory);
    for (const path of inventory ? membersOf(await this.client.get(inventory)) : []) {
      const item = await this.client.get(path);
      const version = stringOf(item.Version);
      const component = componentName(item);
      if (!version || found.has(component)) continue;
      found.set(component, {
        component,
        current_version: version,
        updateable: item.Updateable === true,
        inventory_path: path,
      });
    }
    const system = await this.system.read();
    const biosVersion = stringOf(system.BiosVersion);
    if (!found.has('bios') && biosVersion) {
      found.set('bios', fromResource('bios', biosVersion));
    }
    const [managerPath] = linksOf(asResource(system.Links).ManagedBy);
    if (!found.has('bmc') && managerPath) {
      const version = stringOf((await this.client.get(managerPath)).FirmwareVersion);
      if (version) found.set('bmc', fromResource('bmc', version));
    }
    return [...found.values()];
  }

  async update(requests: FirmwareUpdateRequest[]): Promise<FirmwareTaskHandle[]> {
    checkRequests(requests);
    const { path, resource } = await this.updateService();
    const action = asResource(asResource(resource.Actions)['#UpdateService.SimpleUpdate']);
    const target = stringOf(action.target) ?? `${path}/Actions/UpdateService.SimpleUpdate`;
    const inventory = new Map((await this.components()).map((c) => [c.component, c]));
    const handles: FirmwareTaskHandle[] = [];
    for (const { component, url, wait } of requests) {
      const known = inventory.get(component)?.inventory_path;
      const answer = await this.client.post(target, {
        ImageURI: url,
        TransferProtocol: url.startsWith('https:') ? 'HTTPS' : 'HTTP',
        // Naming the component lets the BMC refuse an image meant for another one.
        ...(known ? { Targets: [known] } : {}),
      });
      const location = answer.headers.location;
      const task =
        stringOf(Array.isArray(location) ? location[0] : location) ?? linkOf(answer.json) ?? null;
      if (answer.status === 202 && !task) {
        throw new BmcError(
          'protocol',
          `BMC at ${this.client.config.bmc} accepted the ${component} update from ${url} without saying where to follow it (no Location)`,
        );
      }
      handles.push({ component, url, ...(wait === undefined ? {} : { wait }), task });
    }
    return handles;
  }

  async taskStatus(handle: FirmwareTaskHandle): Promise<FirmwareTaskStatus> {
    const rebootRequired = handle.component !== 'bmc';
    if (!handle.task) {
      return { state: 'completed', task_state: null, percent: 100, message: null, rebootRequired };
    }
    const task = await this.client.get(handle.task);
    const taskState = stringOf(task.TaskState) ?? null;
    const messages = Array.isArray(task.Messages) ? task.Messages.map(asResource) : [];
    const last = messages.length > 0 ? stringOf(messages[messages.length - 1]?.Message) : undefined;
    const state = COMPLETED.includes(taskState ?? '')
      ? 'completed'
      : FAILED.includes(taskState ?? '')
        ? 'failed'
        : 'running';
    return {
      state,
      task_state: taskState,
      percent: typeof task.PercentComplete === 'number' ? task.PercentComplete : null,
      message:
        last ??
        (state === 'failed'
          ? `the ${handle.component} update from ${handle.url} ended in ${taskState}`
          : null),
      rebootRequired,
    };
  }

  private async updateService(): Promise<{ path: string; resource: Resource }> {
    const path = linkOf((await this.client.serviceRoot()).UpdateService);
    if (!path) {
      throw new BmcError(
        'unsupported',
        `BMC at ${this.client.config.bmc} has no UpdateService: it cannot update firmware`,
      );
    }
    return { path, resource: await this.client.get(path) };
  }
}

const fromResource = (component: string, version: string): FirmwareComponentInfo => ({
  component,
  current_version: version,
  updateable: true,
  inventory_path: null,
});
