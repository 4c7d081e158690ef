import type { TaskMessage, TaskService } from './redfish-tasks.js';

/** The firmware components of a lab server, by their FirmwareInventory Id. */
export type FirmwareId = 'BIOS' | 'BMC' | 'NIC1';

export interface FirmwareComponent {
  id: FirmwareId;
  name: string;
  version: string;
  updateable: boolean;
  /** A flashed version that takes effect when the server next boots (BIOS, NIC). */
  pendingVersion: string | undefined;
}

export interface FirmwareOptions {
  /** How long an update takes after SimpleUpdate is accepted; default 2000 ms. */
  updateMs?: number;
  /** When set, every update ends in TaskState Exception with this message (a flash failure). */
  failure?: string;
}

export const DEFAULT_FIRMWARE_UPDATE_MS = 2000;

const ok = (MessageId: string, Message: string): TaskMessage => ({
  MessageId,
  Message,
  Severity: 'OK',
});
const critical = (MessageId: string, Message: string): TaskMessage => ({
  MessageId,
  Message,
  Severity: 'Critical',
});

class UpdateFailure extends Error {
  constructor(
    readonly messageId: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where SimpleUpdate may fetch from: the lab's BMCs only reach this machine's loopback. */
export function loopbackImageUrl(uri: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  return loopback && (url.protocol === 'http:' || url.protocol === 'https:') ? url : undefined;
}

/**
 * The server's firmware and the BMC's SimpleUpdate behind it. An update downloads the image,
 * reads which component and version it carries (a JSON body `{"component","version"}`, or a file
 * name such as `bios-2.1.0.bin`), takes `updateMs`, and ends as a Task says. BIOS and NIC
 * firmware take effect at the next boot, as on real servers; BMC firmware at once.
 */
export class FirmwareUpdates {
  readonly components: Record<FirmwareId, FirmwareComponent> = {
    BIOS: component('BIOS', 'System BIOS', '2.10.2'),
    BMC: component('BMC', 'Integrated BMC firmware', '5.10.00'),
    NIC1: component('NIC1', 'Lab 25GbE network adapter', '22.31.6'),
  };
  updateMs: number;
  failure: string | undefined;
  private readonly running = new Set<AbortController>();

  constructor(
    private readonly tasks: TaskService,
    opts: FirmwareOptions = {},
  ) {
    this.updateMs = opts.updateMs ?? DEFAULT_FIRMWARE_UPDATE_MS;
    this.failure = opts.failure;
  }

  /** Accepts a SimpleUpdate; `targets` (inventory ids) limit which component the image may be. */
  start(url: URL, targets: FirmwareId[]): string {
    const task = this.tasks.create(`Firmware update from ${url.href}`);
    const abort = new AbortController();
    this.running.add(abort);
    void this.run(task.id, url, targets, abort.signal).finally(() => this.running.delete(abort));
    return task.id;
  }

  /** The server boots: staged BIOS and NIC firmware become current. */
  applyAtBoot(): void {
    for (const fw of Object.values(this.components)) {
      if (fw.pendingVersion === undefined) continue;
      fw.version = fw.pendingVersion;
      fw.pendingVersion = undefined;
    }
  }

  stop(): void {
    for (const abort of this.running) abort.abort();
    this.running.clear();
  }

  private async run(taskId: string, url: URL, targets: FirmwareId[], signal: AbortSignal) {
    const started = Date.now();
    this.tasks.update(taskId, 'Running', { percent: 5 });
    try {
      const image = await this.download(url, signal);
      const fw = this.components[image.id];
      if (targets.length > 0 && !targets.includes(image.id)) {
        throw new UpdateFailure(
          'Update.1.0.TargetDetermined',
          `The image ${url.pathname} is ${image.id} firmware, not for ${targets.join(', ')}.`,
        );
      }
      this.tasks.update(taskId, 'Running', { percent: 50 });
      await sleep(Math.max(0, this.updateMs - (Date.now() - started)), signal);
      if (this.failure !== undefined)
        throw new UpdateFailure('Update.1.0.ApplyFailed', this.failure);
      this.tasks.update(taskId, 'Completed', { message: this.install(fw, image.version) });
    } catch (err) {
      if (signal.aborted) return;
      const failure =
        err instanceof UpdateFailure
          ? err
          : new UpdateFailure('Update.1.0.TransferFailed', (err as Error).message);
      this.tasks.update(taskId, 'Exception', {
        message: critical(failure.messageId, failure.message),
      });
    }
  }

  private install(fw: FirmwareComponent, version: string): TaskMessage {
    if (fw.id === 'BMC') {
      fw.version = version;
      return ok('Update.1.0.UpdateSuccessful', `BMC firmware ${version} is installed and running.`);
    }
    fw.pendingVersion = version;
    return ok(
      'Update.1.0.AwaitToActivate',
      `${fw.name} firmware ${version} is staged; it takes effect when the server next reboots.`,
    );
  }

  private async download(
    url: URL,
    signal: AbortSignal,
  ): Promise<{ id: FirmwareId; version: string }> {
    const res = await fetch(url, { signal }).catch((err: Error) => {
      throw new UpdateFailure(
        'Update.1.0.TransferFailed',
        `The BMC could not download ${url.href}: ${err.message}`,
      );
    });
    const body = await res.text();
    if (!res.ok) {
      throw new UpdateFailure(
        'Update.1.0.TransferFailed',
        `The BMC could not download ${url.href}: HTTP ${res.status}.`,
      );
    }
    const described = describeImage(url, body);
    if (!described) {
      throw new UpdateFailure(
        'Update.1.0.InvalidPackage',
        `The image ${url.pathname} is not a firmware package this server accepts (expected a JSON ` +
          `{"component","version"} or a name like bios-2.1.0.bin).`,
      );
    }
    return described;
  }
}

const component = (id: FirmwareId, name: string, version: string): FirmwareComponent => ({
  id,
  name,
  version,
  updateable: true,
  pendingVersion: undefined,
});

const IDS: Record<string, FirmwareId> = { bios: 'BIOS', bmc: 'BMC', nic1: 'NIC1' };

function describeImage(url: URL, body: string): { id: FirmwareId; version: string } | undefined {
  let declared: { component?: unknown; version?: unknown } | undefined;
  try {
    declared = JSON.parse(body) as typeof declared;
  } catch {
    declared = undefined;
  }
  if (typeof declared?.component === 'string' && typeof declared.version === 'string') {
    const id = IDS[declared.component.toLowerCase()];
    return id && declared.version ? { id, version: declared.version } : undefined;
  }
  const name = url.pathname.split('/').pop() ?? '';
  const match = /^([a-z]+\d*)[-_]v?(\d+(?:\.\d+)*)(?:\.[a-z]+)?$/i.exec(name);
  const id = match?.[1] ? IDS[match[1].toLowerCase()] : undefined;
  return id && match?.[2] ? { id, version: match[2] } : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });
}
