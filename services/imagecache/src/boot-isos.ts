import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildIso, MediaToolError } from '@ingot/media';
import type { Logger } from '@ingot/telemetry';
import { ImageError } from './image-error.js';
import { KeyedSerial } from './serial.js';

export interface BootIso {
  /** `<node_uuid>-<16 random hex>`: the random part keeps the path, and the token in it, unguessable. */
  name: string;
  path: string;
  sha256: string;
  size: number;
}

const NODE = /^[A-Za-z0-9_-]{1,64}$/;
const FILE = /^([A-Za-z0-9_-]{1,64})-([0-9a-f]{16})\.iso$/;
export const BOOT_ISO_VOLUME_ID = 'INGOT-BOOT';
const AGENT_CONFIG_PATH = 'ingot/agent.json';

/**
 * One boot ISO per node, carrying the agent's configuration (API URL, node, agent token). A new
 * ISO replaces the node's previous one, whose name stops working at once.
 *
 * A real deploy ISO would add the agent ramdisk here: the kernel and initrd under `boot/`, an
 * El Torito BIOS image (isolinux) and an EFI system partition image (grub), with buildIso
 * passing xorriso's `-b`/`-e` boot options. The lab boots the agent program directly, so the ISO
 * only carries ingot/agent.json.
 */
export class BootIsoStore {
  private readonly byNode = new Map<string, BootIso>();
  private readonly perNode = new KeyedSerial();

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  static async open(dir: string, logger: Logger): Promise<BootIsoStore> {
    const store = new BootIsoStore(join(dir, 'boot'), logger);
    await mkdir(store.dir, { recursive: true, mode: 0o700 });
    await store.load();
    return store;
  }

  /** The ISO with this file name, if it is a node's current one. */
  lookup(name: string): BootIso | undefined {
    const node = FILE.exec(`${name}.iso`)?.[1];
    const iso = node === undefined ? undefined : this.byNode.get(node);
    return iso?.name === name ? iso : undefined;
  }

  async build(nodeUuid: string, agentConfig: Record<string, unknown>): Promise<BootIso> {
    if (!NODE.test(nodeUuid))
      throw new ImageError(
        'invalid',
        `node_uuid "${nodeUuid}" cannot name a boot ISO: use letters, digits, '-' and '_' only`,
      );
    return this.perNode.run(nodeUuid, async () => {
      let bytes: Buffer;
      try {
        bytes = await buildIso({
          volumeId: BOOT_ISO_VOLUME_ID,
          files: { [AGENT_CONFIG_PATH]: `${JSON.stringify(agentConfig, null, 2)}\n` },
        });
      } catch (error) {
        if (error instanceof MediaToolError)
          throw new ImageError(
            'iso',
            `Could not build the boot ISO of node ${nodeUuid}: ${error.message}`,
          );
        throw error;
      }
      const name = `${nodeUuid}-${randomBytes(8).toString('hex')}`;
      const path = join(this.dir, `${name}.iso`);
      // Written under a name no route serves, then renamed, so nobody reads half an ISO.
      const partial = join(this.dir, `.${name}.partial`);
      await writeFile(partial, bytes, { mode: 0o600 });
      await rename(partial, path);
      const iso = { name, path, sha256: sha256(bytes), size: bytes.length };
      const previous = this.byNode.get(nodeUuid);
      this.byNode.set(nodeUuid, iso);
      if (previous) await rm(previous.path, { force: true });
      return iso;
    });
  }

  /** Keeps the newest ISO of each node; older ones and partial writes are removed. */
  private async load(): Promise<void> {
    const found: { node: string; name: string; path: string; mtimeMs: number }[] = [];
    for (const file of await readdir(this.dir)) {
      const path = join(this.dir, file);
      const match = FILE.exec(file);
      if (!match?.[1]) {
        await rm(path, { recursive: true, force: true });
        continue;
      }
      const { mtimeMs } = await stat(path);
      found.push({ node: match[1], name: file.replace(/\.iso$/, ''), path, mtimeMs });
    }
    found.sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const { node, name, path } of found) {
      if (this.byNode.has(node)) {
        await rm(path, { force: true });
        this.logger.warn({ node, file: name }, 'removed an outdated boot ISO');
        continue;
      }
      const bytes = await readFile(path);
      this.byNode.set(node, { name, path, sha256: sha256(bytes), size: bytes.length });
    }
  }
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
