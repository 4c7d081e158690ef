import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isoFileExtent,
  ISO_INITRAMFS_PATH,
  ISO_KERNEL_PATH,
  writeIsoFile,
  type IsoExtent,
} from '@ingot/media';
import type { Logger } from '@ingot/telemetry';

export const BOOT_ISO_VOLUME_ID = 'INGOT-BOOT';
export const AGENT_CONFIG_PATH = 'ingot/agent.json';
/**
 * The CA bundle the agent verifies HTTPS with, beside agent.json (whose `ca_file` names it), as
 * Ironic puts [agent]api_ca_file on the ISO with a configuration naming it (cafile).
 */
export const AGENT_CA_FILE = 'ca.crt';
const AGENT_CA_PATH = `ingot/${AGENT_CA_FILE}`;
/** Room for the node's agent.json (api_url, token, callback URLs, kernel_params, ...). */
export const AGENT_CONFIG_SIZE = 64 * 1024;
/** What the ramdisk needs on its command line from both boot loaders (VM-CONTRACT §2). */
export const AGENT_KERNEL_CMDLINE = 'console=tty0 console=ttyS0,115200';
/** Bump when the ISO's layout changes, so cached bases are rebuilt. */
const LAYOUT = 'ingot-boot-iso-1';

export interface AgentRamdisk {
  kernel: string;
  initramfs: string;
}

/** What every node's ISO carries besides its agent.json. */
export interface BootContents {
  /** The ramdisk booted from the ISO; without it the ISO only carries files. */
  ramdisk?: AgentRamdisk;
  /** PEM CA bundle for the agent (INGOT_AGENT_CA_FILE). */
  agentCa?: string;
}

/** A file inside the base ISO, served as is on the iPXE path. */
export interface BaseFile extends IsoExtent {
  sha256: string;
}

/**
 * The ISO every node's boot ISO is made of: built once per ramdisk (or once without one, then it
 * only holds agent.json), cached under `<cache dir>/boot-base/<key>.iso`. A node's ISO is these
 * bytes with the agent.json extent replaced by its own config, padded with spaces.
 */
export interface BootBase {
  key: string;
  path: string;
  size: number;
  mtimeMs: number;
  config: IsoExtent;
  kernel?: BaseFile;
  initramfs?: BaseFile;
  /** sha256 state of the bytes before the config: a node's digest hashes only what follows. */
  prefixHash: Hash;
  /** Size, time and inode of the ramdisk files it was built from, to notice a rebuilt ramdisk. */
  sourceStamp: string;
}

/** Changes whenever a ramdisk file is rewritten or replaced. */
export async function ramdiskStamp(ramdisk: AgentRamdisk | undefined): Promise<string> {
  if (!ramdisk) return 'no ramdisk';
  const stamps = await Promise.all(
    [ramdisk.kernel, ramdisk.initramfs].map(async (path) => {
      const found = await stat(path).catch(() => undefined);
      return found ? `${found.ino}:${found.size}:${found.mtimeMs}` : 'missing';
    }),
  );
  return stamps.join('/');
}

/** Opens the cached base ISO of these contents, building it when missing; removes other bases. */
export async function openBootBase(
  cacheDir: string,
  { ramdisk, agentCa }: BootContents,
  logger: Logger,
): Promise<BootBase> {
  const dir = join(cacheDir, 'boot-base');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const sourceStamp = await ramdiskStamp(ramdisk);
  const digests = ramdisk
    ? {
        kernel: await fileSha256(ramdisk.kernel, 'INGOT_AGENT_KERNEL'),
        initramfs: await fileSha256(ramdisk.initramfs, 'INGOT_AGENT_INITRAMFS'),
      }
    : undefined;
  const key = sha256(
    Buffer.from(
      JSON.stringify([
        LAYOUT,
        AGENT_CONFIG_SIZE,
        AGENT_KERNEL_CMDLINE,
        digests ?? 'no ramdisk',
        // Only when there is one: the bases built before CAs existed keep their key.
        ...(agentCa === undefined ? [] : [sha256(Buffer.from(agentCa))]),
      ]),
    ),
  );
  const path = join(dir, `${key}.iso`);
  for (const file of await readdir(dir)) {
    if (file !== `${key}.iso`) await rm(join(dir, file), { recursive: true, force: true });
  }
  const existing = await open(path, 'r').catch(() => undefined);
  await existing?.close();
  if (!existing) {
    const started = Date.now();
    const partial = join(dir, `.${key}.partial`);
    await writeIsoFile(partial, {
      volumeId: BOOT_ISO_VOLUME_ID,
      files: {
        [AGENT_CONFIG_PATH]: padConfig('{}'),
        ...(agentCa === undefined ? {} : { [AGENT_CA_PATH]: Buffer.from(agentCa) }),
      },
      ...(ramdisk ? { boot: { ...ramdisk, cmdline: AGENT_KERNEL_CMDLINE } } : {}),
      placeLast: [AGENT_CONFIG_PATH],
    });
    await rename(partial, path);
    logger.info(
      { key, bootable: ramdisk !== undefined, ms: Date.now() - started },
      'built the base boot ISO',
    );
  }
  return describeBase(key, path, digests, sourceStamp);
}

async function describeBase(
  key: string,
  path: string,
  digests: { kernel: string; initramfs: string } | undefined,
  sourceStamp: string,
): Promise<BootBase> {
  const config = await isoFileExtent(path, AGENT_CONFIG_PATH);
  if (config.size !== AGENT_CONFIG_SIZE)
    throw new Error(
      `${path}: ${AGENT_CONFIG_PATH} is ${config.size} bytes, not ${AGENT_CONFIG_SIZE}`,
    );
  const handle = await open(path, 'r');
  try {
    const { size, mtimeMs } = await handle.stat();
    // The extent must hold the placeholder, or xorriso's report and the bytes disagree.
    const placeholder = Buffer.alloc(AGENT_CONFIG_SIZE);
    await handle.read(placeholder, 0, AGENT_CONFIG_SIZE, config.offset);
    if (!placeholder.equals(padConfig('{}')))
      throw new Error(
        `${path}: the bytes at ${AGENT_CONFIG_PATH}'s extent are not its placeholder`,
      );
    const prefixHash = await hashRange(path, 0, config.offset);
    const base: BootBase = { key, path, size, mtimeMs, config, prefixHash, sourceStamp };
    if (digests) {
      base.kernel = { ...(await isoFileExtent(path, ISO_KERNEL_PATH)), sha256: digests.kernel };
      base.initramfs = {
        ...(await isoFileExtent(path, ISO_INITRAMFS_PATH)),
        sha256: digests.initramfs,
      };
    }
    return base;
  } finally {
    await handle.close();
  }
}

/** A config padded with spaces to the fixed size of agent.json (JSON.parse ignores them). */
export function padConfig(json: string): Buffer {
  const bytes = Buffer.from(json);
  if (bytes.length > AGENT_CONFIG_SIZE)
    throw new RangeError(
      `The agent configuration is ${bytes.length} bytes; a boot ISO holds at most ${AGENT_CONFIG_SIZE}`,
    );
  return Buffer.concat([bytes, Buffer.alloc(AGENT_CONFIG_SIZE - bytes.length, ' ')]);
}

/** sha256 of a node's ISO: the base with its config laid over the agent.json extent. */
export async function nodeIsoSha256(base: BootBase, config: Buffer): Promise<string> {
  const hash = base.prefixHash.copy().update(config);
  const suffix = await hashRange(base.path, base.config.offset + base.config.size, base.size, hash);
  return suffix.digest('hex');
}

function hashRange(path: string, start: number, end: number, hash = createHash('sha256')) {
  return new Promise<Hash>((resolve, reject) => {
    if (end <= start) return resolve(hash);
    createReadStream(path, { start, end: end - 1 })
      .on('data', (chunk) => hash.update(chunk))
      .once('error', reject)
      .once('end', () => resolve(hash));
  });
}

async function fileSha256(path: string, variable: string): Promise<string> {
  const hash = await hashRange(path, 0, Number.MAX_SAFE_INTEGER).catch(
    (error: NodeJS.ErrnoException) => {
      throw new Error(
        `${variable}=${path} cannot be read (${error.code ?? error.message}): build the agent ramdisk with bash scripts/build-agent-ramdisk.sh or unset ${variable}`,
      );
    },
  );
  return hash.digest('hex');
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
