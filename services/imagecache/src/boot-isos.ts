import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@ingot/telemetry';
import {
  AGENT_CA_FILE,
  nodeIsoSha256,
  openBootBase,
  padConfig,
  ramdiskStamp,
  type BootBase,
  type BootContents,
} from './boot-base.js';
import { ImageError } from './image-error.js';
import { KeyedSerial } from './serial.js';

export { BOOT_ISO_VOLUME_ID } from './boot-base.js';

export interface BootIso {
  /** `<node_uuid>-<16 random hex>`: the random part keeps the path, and the token in it, unguessable. */
  name: string;
  /** The node's agent.json, padded to its fixed size in the ISO. */
  config: Buffer;
  sha256: string;
  size: number;
}

const NODE = /^[A-Za-z0-9_-]{1,64}$/;
const FILE = /^([A-Za-z0-9_-]{1,64})-([0-9a-f]{16})\.json$/;

/**
 * One boot ISO per node: the base ISO shared by all nodes (kernel, initramfs, boot loaders when a
 * ramdisk is configured; the agent's CA bundle in ingot/ca.crt when one is) with the node's agent
 * configuration (API URL, node, agent token) in ingot/agent.json. Only the configuration is stored per node, under `<cache dir>/boot/`, so a
 * restart keeps serving the nodes' ISOs. A new ISO replaces the node's previous one, whose name
 * stops working at once.
 */
export class BootIsoStore {
  private readonly byNode = new Map<string, BootIso>();
  private readonly perNode = new KeyedSerial();

  private refreshing: Promise<void> | undefined;

  private constructor(
    readonly dir: string,
    private current: BootBase,
    private readonly cacheDir: string,
    private readonly contents: BootContents,
    private readonly logger: Logger,
  ) {}

  /** The base ISO the nodes' ISOs are served from. */
  get base(): BootBase {
    return this.current;
  }

  static async open(
    dir: string,
    logger: Logger,
    contents: BootContents = {},
  ): Promise<BootIsoStore> {
    const base = await openBootBase(dir, contents, logger);
    const store = new BootIsoStore(join(dir, 'boot'), base, dir, contents, logger);
    await mkdir(store.dir, { recursive: true, mode: 0o700 });
    await store.load();
    return store;
  }

  /** The ISO with this file name, if it is a node's current one. */
  lookup(name: string): BootIso | undefined {
    const node = FILE.exec(`${name}.json`)?.[1];
    const iso = node === undefined ? undefined : this.byNode.get(node);
    return iso?.name === name ? iso : undefined;
  }

  async build(nodeUuid: string, agentConfig: Record<string, unknown>): Promise<BootIso> {
    if (!NODE.test(nodeUuid))
      throw new ImageError(
        'invalid',
        `node_uuid "${nodeUuid}" cannot name a boot ISO: use letters, digits, '-' and '_' only`,
      );
    await this.refreshBase();
    // The agent verifies HTTPS against the CA beside its agent.json (a path relative to it).
    const withCa = this.contents.agentCa ? { ...agentConfig, ca_file: AGENT_CA_FILE } : agentConfig;
    return this.perNode.run(nodeUuid, async () => {
      const json = `${JSON.stringify(withCa, null, 2)}\n`;
      let config: Buffer;
      try {
        config = padConfig(json);
      } catch (error) {
        throw new ImageError('invalid', `Node ${nodeUuid}: ${(error as Error).message}`);
      }
      const name = `${nodeUuid}-${randomBytes(8).toString('hex')}`;
      // Written under a name load() discards, then renamed: never half a config.
      const partial = join(this.dir, `.${name}.partial`);
      await writeFile(partial, json, { mode: 0o600 });
      await rename(partial, join(this.dir, `${name}.json`));
      const iso = await this.describe(name, config);
      const previous = this.byNode.get(nodeUuid);
      this.byNode.set(nodeUuid, iso);
      if (previous) await rm(join(this.dir, `${previous.name}.json`), { force: true });
      return iso;
    });
  }

  /**
   * Rebuilds the base when the ramdisk files changed since it was built (the ramdisk script
   * rewrote them); every node's ISO then boots the new ramdisk, under the same name.
   */
  private refreshBase(): Promise<void> {
    this.refreshing ??= (async () => {
      if ((await ramdiskStamp(this.contents.ramdisk)) === this.current.sourceStamp) return;
      const base = await openBootBase(this.cacheDir, this.contents, this.logger);
      if (base.key === this.current.key) {
        this.current = base;
        return;
      }
      this.current = base;
      for (const [node, iso] of this.byNode) {
        this.byNode.set(node, await this.describe(iso.name, iso.config));
      }
      this.logger.info({ key: base.key }, 'the agent ramdisk changed: boot ISOs use the new one');
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async describe(name: string, config: Buffer): Promise<BootIso> {
    return {
      name,
      config,
      size: this.current.size,
      sha256: await nodeIsoSha256(this.current, config),
    };
  }

  /** Keeps the newest config of each node; older ones and partial writes are removed. */
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
      found.push({ node: match[1], name: file.replace(/\.json$/, ''), path, mtimeMs });
    }
    found.sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const { node, name, path } of found) {
      if (this.byNode.has(node)) {
        await rm(path, { force: true });
        this.logger.warn({ node, file: name }, 'removed an outdated boot ISO');
        continue;
      }
      let config: Buffer;
      try {
        config = padConfig(await readFile(path, 'utf8'));
      } catch {
        await rm(path, { force: true });
        this.logger.warn({ node, file: name }, 'removed an unreadable boot ISO config');
        continue;
      }
      this.byNode.set(node, await this.describe(name, config));
    }
  }
}
