import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@ingot/telemetry';
import { ImageError } from './image-error.js';
import {
  checkKernelAppend,
  checkKernelParams,
  hexhyp,
  isMac,
  macFromHexhyp,
  type PxeConfig,
} from './ipxe.js';
import { KeyedSerial } from './serial.js';

const FILE = /^([0-9a-f]{2}(?:-[0-9a-f]{2}){5})\.json$/;

/**
 * The network boot asked for each NIC, one file per MAC under `<cache dir>/pxe/`, so the scripts
 * survive a restart of the image cache. A MAC without a file boots the next device.
 */
export class PxeConfigStore {
  private readonly byMac = new Map<string, PxeConfig>();
  private readonly perMac = new KeyedSerial();

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  static async open(dir: string, logger: Logger): Promise<PxeConfigStore> {
    const store = new PxeConfigStore(join(dir, 'pxe'), logger);
    await mkdir(store.dir, { recursive: true, mode: 0o700 });
    await store.load();
    return store;
  }

  /** The config of this MAC (lower case, colon separated), if it has one. */
  get(mac: string): PxeConfig | undefined {
    return this.byMac.get(mac);
  }

  /** Gives every MAC these kernel parameters, replacing what they had. */
  async set(
    macs: readonly string[],
    nodeUuid: string,
    kernelParams: Record<string, string>,
    kernelAppend?: string,
  ): Promise<PxeConfig[]> {
    checkMacs(macs);
    checkKernelParams(kernelParams);
    if (kernelAppend) checkKernelAppend(kernelAppend);
    const updatedAt = new Date().toISOString();
    return Promise.all(
      [...new Set(macs)].map((mac) =>
        this.perMac.run(mac, async () => {
          const config: PxeConfig = {
            mac,
            node_uuid: nodeUuid,
            kernel_params: { ...kernelParams },
            ...(kernelAppend ? { kernel_append: kernelAppend } : {}),
            updated_at: updatedAt,
          };
          // Written under a name load() discards, then renamed: never half a config.
          const partial = join(this.dir, `.${hexhyp(mac)}.${randomBytes(4).toString('hex')}.tmp`);
          await writeFile(partial, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
          await rename(partial, this.path(mac));
          this.byMac.set(mac, config);
          return config;
        }),
      ),
    );
  }

  /** Removes the configs of these MACs; they boot the next device again. */
  async clear(macs: readonly string[]): Promise<void> {
    checkMacs(macs);
    await Promise.all(
      [...new Set(macs)].map((mac) =>
        this.perMac.run(mac, async () => {
          await rm(this.path(mac), { force: true });
          this.byMac.delete(mac);
        }),
      ),
    );
  }

  private path(mac: string): string {
    return join(this.dir, `${hexhyp(mac)}.json`);
  }

  private async load(): Promise<void> {
    for (const file of await readdir(this.dir)) {
      const path = join(this.dir, file);
      const name = FILE.exec(file)?.[1];
      const mac = name === undefined ? undefined : macFromHexhyp(name);
      const config = mac === undefined ? undefined : await readConfig(path, mac);
      if (mac === undefined || config === undefined) {
        if (mac !== undefined)
          this.logger.warn({ file }, 'removed an unreadable network boot config');
        await rm(path, { recursive: true, force: true });
        continue;
      }
      this.byMac.set(mac, config);
    }
  }
}

function checkMacs(macs: readonly string[]): void {
  const bad = macs.find((mac) => !isMac(mac));
  if (bad !== undefined)
    throw new ImageError(
      'invalid',
      `"${bad}" is not a MAC address in lower case with colons (52:54:00:12:34:56)`,
    );
}

async function readConfig(path: string, mac: string): Promise<PxeConfig | undefined> {
  try {
    const raw = JSON.parse(await readFile(path, 'utf8')) as Partial<PxeConfig>;
    const params = raw.kernel_params;
    if (
      raw.mac !== mac ||
      typeof raw.node_uuid !== 'string' ||
      typeof raw.updated_at !== 'string' ||
      typeof params !== 'object' ||
      params === null ||
      Object.values(params).some((value) => typeof value !== 'string')
    )
      return undefined;
    checkKernelParams(params);
    const append = raw.kernel_append;
    if (append !== undefined && typeof append !== 'string') return undefined;
    if (append) checkKernelAppend(append);
    return {
      mac,
      node_uuid: raw.node_uuid,
      kernel_params: params,
      ...(append ? { kernel_append: append } : {}),
      updated_at: raw.updated_at,
    };
  } catch {
    return undefined;
  }
}
