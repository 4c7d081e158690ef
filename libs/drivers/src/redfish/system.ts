import { BmcError, isBmcError } from '../errors.js';
import type { RedfishClient } from './client.js';
import { SERVICE_ROOT } from './client.js';
import { linkOf, membersOf, type Resource } from './resource.js';

/** Finds the node's ComputerSystem: the configured path, or the only one the BMC lists. */
export class SystemLocator {
  private found: Promise<string> | undefined;

  constructor(
    private readonly client: RedfishClient,
    private readonly configuredPath: string | undefined,
  ) {}

  path(): Promise<string> {
    if (this.configuredPath) return Promise.resolve(this.configuredPath);
    this.found ??= this.discover();
    this.found.catch(() => (this.found = undefined));
    return this.found;
  }

  async read(): Promise<Resource> {
    const path = await this.path();
    try {
      return await this.client.get(path);
    } catch (err) {
      if (!isBmcError(err) || err.kind !== 'not_found') throw err;
      throw new BmcError(
        'not_found',
        `BMC at ${this.client.config.bmc} has no system at ${path} (HTTP 404); check redfish_system_id`,
        { status: 404, field: 'redfish_system_id', cause: err },
      );
    }
  }

  private async discover(): Promise<string> {
    const { bmc } = this.client.config;
    const root = await this.client.serviceRoot();
    const collectionPath = linkOf(root.Systems) ?? `${SERVICE_ROOT}/Systems`;
    const members = membersOf(await this.client.get(collectionPath));
    if (members.length === 1 && members[0]) return members[0];
    if (members.length === 0) {
      throw new BmcError('not_found', `BMC at ${bmc} lists no systems at ${collectionPath}`);
    }
    throw new BmcError(
      'invalid_config',
      `BMC at ${bmc} manages ${members.length} systems (${members.join(', ')}); ` +
        'set redfish_system_id to the one for this node',
      { field: 'redfish_system_id' },
    );
  }
}
