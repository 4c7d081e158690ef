import { BmcError } from '../errors.js';
import type {
  CreatedLogicalDisk,
  LogicalDisk,
  RaidConfiguration,
  RaidControllerInfo,
  RaidDrive,
  RaidInterface,
  RaidLevel,
  RaidVolume,
} from '../interfaces.js';
import type { RedfishClient } from './client.js';
import { asResource, linkOf, linksOf, membersOf, stringOf, type Resource } from './resource.js';
import { LEVELS, levelOf, pickDrives, usableBytes, type DriveSpace } from './raid-levels.js';
import type { SystemLocator } from './system.js';

const GiB = 1024 ** 3;

interface StorageView {
  path: string;
  resource: Resource;
  raidTypes: string[];
  drives: RaidDrive[];
}

/**
 * Ironic's redfish raid interface: controllers are Storage resources whose StorageControllers
 * list SupportedRAIDTypes; a logical disk becomes a POST to the storage's Volumes collection with
 * RAIDType, CapacityBytes and Links.Drives, applied Immediate when the BMC offers it, else
 * OnReset (then the volume appears at the next boot).
 */
export class RedfishRaid implements RaidInterface {
  constructor(
    private readonly client: RedfishClient,
    private readonly system: SystemLocator,
  ) {}

  async controllers(): Promise<RaidControllerInfo[]> {
    return (await this.storages()).map(({ path, resource, raidTypes, drives }) => {
      const first = Array.isArray(resource.StorageControllers)
        ? asResource(resource.StorageControllers[0])
        : {};
      return {
        id: path,
        name: stringOf(first.Name) ?? stringOf(resource.Name) ?? path,
        model: stringOf(first.Model) ?? null,
        raid_types: raidTypes,
        raid_levels: (Object.keys(LEVELS) as RaidLevel[]).filter((l) =>
          raidTypes.includes(LEVELS[l].raidType),
        ),
        drives: drives.map((d) => d.id),
      };
    });
  }

  async drives(): Promise<RaidDrive[]> {
    return (await this.storages()).flatMap((s) => s.drives);
  }

  async volumes(): Promise<RaidVolume[]> {
    const found: RaidVolume[] = [];
    for (const storage of await this.storages()) {
      const collection = linkOf(storage.resource.Volumes);
      if (!collection) continue;
      for (const path of membersOf(await this.client.get(collection))) {
        const volume = await this.client.get(path);
        const raidType = stringOf(volume.RAIDType) ?? null;
        const bytes = typeof volume.CapacityBytes === 'number' ? volume.CapacityBytes : 0;
        const members = linksOf(asResource(volume.Links).Drives);
        const identifiers = Array.isArray(volume.Identifiers)
          ? volume.Identifiers.map(asResource)
          : [];
        found.push({
          path,
          id: stringOf(volume.Id) ?? path.split('/').pop() ?? path,
          name: stringOf(volume.Name) ?? stringOf(volume.Id) ?? path,
          raid_type: raidType,
          raid_level: raidType ? levelOf(raidType) : null,
          capacity_bytes: bytes,
          size_gb: Math.floor(bytes / GiB),
          physical_disks: storage.drives.filter((d) => members.includes(d.path)).map((d) => d.id),
          controller: storage.path,
          identifiers: identifiers.flatMap((i) => stringOf(i.DurableName) ?? []),
        });
      }
    }
    return found;
  }

  async createConfiguration(
    logicalDisks: LogicalDisk[],
    opts: { applyTime?: 'Immediate' | 'OnReset' } = {},
  ): Promise<RaidConfiguration> {
    const storages = await this.storages();
    // Root volume first, as Ironic creates it; 'MAX' disks last, after the sized ones took space.
    const ordered = [...logicalDisks].sort(
      (a, b) =>
        Number(b.is_root_volume === true) - Number(a.is_root_volume === true) ||
        Number(a.size_gb === 'MAX') - Number(b.size_gb === 'MAX'),
    );
    const taken = new Set(storages.flatMap((s) => s.drives.filter((d) => d.volumes.length > 0)));
    const plans = ordered.map((disk) => this.plan(disk, storages, taken));
    const created: CreatedLogicalDisk[] = [];
    let rebootRequired = false;
    for (const { disk, storage, drives, bytes } of plans) {
      const collection = linkOf(storage.resource.Volumes);
      if (!collection) {
        throw new BmcError(
          'unsupported',
          `BMC at ${this.client.config.bmc} offers no Volumes collection on ${storage.path}: it cannot create RAID volumes`,
        );
      }
      const applyTime = opts.applyTime ?? (await this.defaultApplyTime(collection));
      const name = disk.volume_name ?? (disk.is_root_volume ? 'root' : undefined);
      const answer = await this.client.post(collection, {
        ...(name ? { Name: name } : {}),
        RAIDType: LEVELS[disk.raid_level].raidType,
        CapacityBytes: bytes,
        Links: { Drives: drives.map((d) => ({ '@odata.id': d.path })) },
        '@Redfish.OperationApplyTime': applyTime,
      });
      const location = stringOf(answer.headers.location);
      const later = answer.status === 202;
      rebootRequired ||= later && applyTime === 'OnReset';
      created.push({
        ...disk,
        size_gb: Math.floor(bytes / GiB),
        physical_disks: drives.map((d) => d.id),
        controller: storage.path,
        volume: later ? null : (location ?? linkOf(answer.json) ?? null),
        task: later ? (location ?? null) : null,
      });
    }
    return { logical_disks: created, rebootRequired };
  }

  async deleteConfiguration(): Promise<{ deleted: string[] }> {
    const deleted: string[] = [];
    for (const volume of await this.volumes()) {
      await this.client.delete(volume.path);
      deleted.push(volume.path);
    }
    return { deleted };
  }

  /** Chooses the controller, drives and size of one logical disk, or says why it cannot. */
  private plan(disk: LogicalDisk, storages: StorageView[], taken: Set<RaidDrive>) {
    const invalid = (why: string) =>
      new BmcError('invalid_config', `logical disk ${describe(disk)}: ${why}`);
    const level = LEVELS[disk.raid_level];
    if (!level) {
      throw invalid(`raid_level must be one of ${Object.keys(LEVELS).join(', ')}`);
    }
    if (disk.size_gb !== 'MAX' && !(typeof disk.size_gb === 'number' && disk.size_gb > 0)) {
      throw invalid(`size_gb must be a positive number or 'MAX'`);
    }
    if (disk.size_gb === 'MAX' && !disk.physical_disks) {
      throw invalid(`size_gb 'MAX' needs physical_disks naming the drives to use`);
    }
    const candidates = disk.controller
      ? storages.filter((s) => s.path === disk.controller || s.path.endsWith(`/${disk.controller}`))
      : storages;
    if (candidates.length === 0) throw invalid(`there is no controller ${disk.controller}`);
    const storage = candidates.find((s) => s.raidTypes.includes(level.raidType));
    if (!storage) {
      throw new BmcError(
        'unsupported',
        `logical disk ${describe(disk)}: no RAID controller of BMC ${this.client.config.bmc} supports ${level.raidType} (` +
          candidates.map((s) => `${s.path}: ${s.raidTypes.join(', ') || 'none'}`).join('; ') +
          ')',
      );
    }
    const wanted = disk.size_gb === 'MAX' ? undefined : disk.size_gb * GiB;
    let drives: RaidDrive[];
    if (disk.physical_disks) {
      drives = disk.physical_disks.map((name) => {
        const drive = storage.drives.find((d) => [d.id, d.name, d.path].includes(name));
        if (!drive) throw invalid(`${storage.path} has no drive ${name}`);
        if (taken.has(drive)) throw invalid(`drive ${drive.id} already belongs to a volume`);
        return drive;
      });
      const count = level.fits(drives.length);
      if (count) throw invalid(`RAID ${disk.raid_level} needs ${count}; ${drives.length} given`);
    } else {
      const free: DriveSpace<RaidDrive>[] = storage.drives
        .filter((d) => !taken.has(d))
        .map((d) => ({ drive: d, bytes: d.capacity_bytes }));
      const picked = pickDrives(disk.raid_level, free, wanted ?? 0);
      if (!picked) {
        throw invalid(
          `${storage.path} has no ${level.minDrives} free drives large enough (free: ${
            free.map((f) => `${f.drive.id} ${Math.floor(f.bytes / GiB)} GiB`).join(', ') || 'none'
          })`,
        );
      }
      drives = picked;
    }
    const usable = usableBytes(
      disk.raid_level,
      drives.map((d) => d.capacity_bytes),
    );
    if (wanted !== undefined && wanted > usable) {
      throw invalid(
        `RAID ${disk.raid_level} of ${drives.map((d) => d.id).join(', ')} holds ${Math.floor(usable / GiB)} GiB, less than ${disk.size_gb} GiB`,
      );
    }
    for (const drive of drives) taken.add(drive);
    return { disk, storage, drives, bytes: wanted ?? usable };
  }

  private async defaultApplyTime(collection: string): Promise<'Immediate' | 'OnReset'> {
    const support = asResource(
      (await this.client.get(collection))['@Redfish.OperationApplyTimeSupport'],
    );
    const values = Array.isArray(support.SupportedValues) ? support.SupportedValues : [];
    return values.length === 0 || values.includes('Immediate') ? 'Immediate' : 'OnReset';
  }

  private async storages(): Promise<StorageView[]> {
    const system = await this.system.read();
    const collection = linkOf(system.Storage);
    if (!collection) {
      throw new BmcError(
        'unsupported',
        `BMC at ${this.client.config.bmc} has no Storage on ${await this.system.path()}: it cannot configure RAID`,
      );
    }
    const views: StorageView[] = [];
    for (const path of membersOf(await this.client.get(collection))) {
      const resource = await this.client.get(path);
      const controllers = Array.isArray(resource.StorageControllers)
        ? resource.StorageControllers.map(asResource)
        : [];
      const raidTypes = [
        ...new Set(
          controllers.flatMap((c) =>
            Array.isArray(c.SupportedRAIDTypes) ? c.SupportedRAIDTypes.map(String) : [],
          ),
        ),
      ];
      const drives = await Promise.all(
        linksOf(resource.Drives).map(async (drivePath) =>
          driveOf(path, drivePath, await this.client.get(drivePath)),
        ),
      );
      views.push({ path, resource, raidTypes, drives });
    }
    return views;
  }
}

function driveOf(controller: string, path: string, drive: Resource): RaidDrive {
  const identifiers = Array.isArray(drive.Identifiers) ? drive.Identifiers.map(asResource) : [];
  return {
    id: stringOf(drive.Id) ?? path.split('/').pop() ?? path,
    path,
    name: stringOf(drive.Name) ?? path,
    capacity_bytes: typeof drive.CapacityBytes === 'number' ? drive.CapacityBytes : 0,
    media_type: stringOf(drive.MediaType) ?? null,
    protocol: stringOf(drive.Protocol) ?? null,
    identifiers: identifiers.flatMap((i) => stringOf(i.DurableName) ?? []),
    controller,
    volumes: linksOf(asResource(drive.Links).Volumes),
  };
}

const describe = (disk: LogicalDisk) =>
  `${disk.volume_name ?? (disk.is_root_volume ? 'root' : '')} (RAID ${disk.raid_level}, ${disk.size_gb} GiB)`.trim();
