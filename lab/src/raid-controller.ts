import type { LabTask, TaskService } from './redfish-tasks.js';
import type { DiskProfile, ServerIdentity } from './server-profile.js';

export const RAID_TYPES = ['RAID0', 'RAID1', 'RAID5', 'RAID10'] as const;
export type RaidType = (typeof RAID_TYPES)[number];

/** How many member drives each RAID type takes, and how many drives' worth it can store. */
const GEOMETRY: Record<RaidType, { fits(n: number): string | undefined; data(n: number): number }> =
  {
    RAID0: { fits: (n) => (n >= 1 ? undefined : 'at least 1 drive'), data: (n) => n },
    RAID1: { fits: (n) => (n === 2 ? undefined : 'exactly 2 drives'), data: () => 1 },
    RAID5: { fits: (n) => (n >= 3 ? undefined : 'at least 3 drives'), data: (n) => n - 1 },
    RAID10: {
      fits: (n) => (n >= 4 && n % 2 === 0 ? undefined : 'an even number of drives, at least 4'),
      data: (n) => n / 2,
    },
  };

export interface LabVolume {
  id: string;
  name: string;
  raidType: RaidType;
  capacityBytes: number;
  /** Drive ids (Disk0, Disk1...). */
  drives: string[];
}

/** A volume asked for with apply time OnReset: created when the server next boots. */
export interface PendingVolume {
  taskId: string;
  volume: LabVolume;
}

export type ApplyTime = 'Immediate' | 'OnReset';

/** What a POST to the Volumes collection asked for, before validation. */
export interface VolumeRequest {
  name: unknown;
  raidType: unknown;
  capacityBytes: unknown;
  drives: string[];
}

export const driveIds = (server: ServerIdentity) => server.profile.disks.map((_, i) => `Disk${i}`);

/**
 * One RAID controller over the server's disks. Volumes asked for OnReset (what real controllers
 * such as iDRAC's do, and this lab's default) wait as tasks in state Pending until the server next
 * boots; Immediate ones exist at once. Deleting a volume is immediate.
 */
export class RaidController {
  volumes: LabVolume[] = [];
  pending: PendingVolume[] = [];
  /** The apply times the Volumes collection offers: both by default, ['OnReset'] as on iDRAC. */
  applyTimes: ApplyTime[] = ['Immediate', 'OnReset'];
  private nextId = 1;

  constructor(
    readonly server: ServerIdentity,
    private readonly tasks: TaskService,
  ) {}

  disk(driveId: string): DiskProfile | undefined {
    return this.server.profile.disks[driveIds(this.server).indexOf(driveId)];
  }

  /** The volumes (existing or pending) a drive belongs to. */
  volumesOf(driveId: string): LabVolume[] {
    return [...this.volumes, ...this.pending.map((p) => p.volume)].filter((v) =>
      v.drives.includes(driveId),
    );
  }

  /** Validates a request; a sentence saying what is wrong, or the volume it describes. */
  check(request: VolumeRequest): string | LabVolume {
    const { raidType, drives } = request;
    if (!(RAID_TYPES as readonly unknown[]).includes(raidType)) {
      return `RAIDType ${JSON.stringify(raidType)} is not supported by this controller (supported: ${RAID_TYPES.join(', ')}).`;
    }
    const type = raidType as RaidType;
    const unknown = drives.filter((d) => !this.disk(d));
    if (unknown.length > 0) return `The controller has no drive ${unknown.join(', ')}.`;
    if (new Set(drives).size !== drives.length) return 'A drive is listed twice.';
    const busy = drives.filter((d) => this.volumesOf(d).length > 0);
    if (busy.length > 0) return `Drive ${busy.join(', ')} already belongs to a volume.`;
    const needs = GEOMETRY[type].fits(drives.length);
    if (needs) return `${type} needs ${needs}; ${drives.length} given.`;
    const smallest = Math.min(...drives.map((d) => this.disk(d)?.size_bytes ?? 0));
    const usable = GEOMETRY[type].data(drives.length) * smallest;
    const size = request.capacityBytes ?? usable;
    if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) {
      return `CapacityBytes ${JSON.stringify(size)} is not a positive integer.`;
    }
    if (size > usable) {
      return `CapacityBytes ${size} exceeds the ${usable} bytes a ${type} of ${drives.join(', ')} holds.`;
    }
    const id = String(this.nextId++);
    const name = typeof request.name === 'string' && request.name ? request.name : `Volume ${id}`;
    return { id, name, raidType: type, capacityBytes: size, drives: [...drives] };
  }

  /** Adds a checked volume now, or stages it for the next boot with a Pending task. */
  add(volume: LabVolume, applyTime: ApplyTime): LabTask | undefined {
    if (applyTime === 'Immediate') {
      this.volumes.push(volume);
      return undefined;
    }
    const task = this.tasks.create(`Create volume ${volume.name}`, 'Pending');
    this.pending.push({ taskId: task.id, volume });
    return task;
  }

  delete(volumeId: string): boolean {
    const before = this.volumes.length;
    this.volumes = this.volumes.filter((v) => v.id !== volumeId);
    return this.volumes.length < before;
  }

  /** The server boots: staged volumes are created and their tasks complete. */
  applyAtBoot(): void {
    for (const { taskId, volume } of this.pending.splice(0)) {
      this.volumes.push(volume);
      this.tasks.update(taskId, 'Completed', {
        message: {
          MessageId: 'Base.1.8.Success',
          Message: `Volume ${volume.name} (${volume.raidType}) was created.`,
          Severity: 'OK',
        },
      });
    }
  }
}
