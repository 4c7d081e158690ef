import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MediaToolError, runTool } from './run-tool.js';
import { withTempDir } from './temp-dir.js';

export interface IsoSpec {
  /** Relative paths inside the image ("openstack/latest/meta_data.json") to their content. */
  files: Record<string, Buffer | string>;
  /** Volume label (ISO 9660 allows 32 characters); cloud-init finds its drive by `config-2`. */
  volumeId: string;
}

/** Asked for a path the ISO does not hold. */
export class IsoFileNotFoundError extends Error {
  constructor(readonly innerPath: string) {
    super(`The ISO image has no file ${innerPath}`);
    this.name = 'IsoFileNotFoundError';
  }
}

const XORRISO_TIMEOUT_MS = 120_000;

/** Rejects paths that would land outside the image root or that xorriso would mangle. */
export function checkedSegments(path: string): string[] {
  const segments = path.split('/');
  const bad = segments.find((s) => s === '' || s === '.' || s === '..' || /[\\\0]/.test(s));
  if (path === '' || bad !== undefined) {
    throw new Error(
      `ISO file path "${path}" must be relative, with non-empty segments and no "." or ".."`,
    );
  }
  return segments;
}

export function checkVolumeId(volumeId: string): void {
  if (!/^[\x20-\x7e]{1,32}$/.test(volumeId)) {
    throw new Error(
      `ISO volume id "${volumeId}" must be 1 to 32 printable ASCII characters (ISO 9660 limit)`,
    );
  }
}

/** The image's files with their paths checked, before anything is written. */
export function checkedIsoEntries(
  files: Record<string, Buffer | string>,
): (readonly [string[], Buffer | string])[] {
  return Object.entries(files).map(([path, content]) => [checkedSegments(path), content] as const);
}

/** Writes checked entries below `root` (created), the tree xorriso turns into the image. */
export async function stageIsoTree(
  root: string,
  entries: readonly (readonly [string[], Buffer | string])[],
): Promise<void> {
  await mkdir(root);
  for (const [segments, content] of entries) {
    const target = join(root, ...segments);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/** Builds an ISO 9660 image with Rock Ridge and Joliet names, in memory. */
export async function buildIso(spec: IsoSpec): Promise<Buffer> {
  checkVolumeId(spec.volumeId);
  const entries = checkedIsoEntries(spec.files);
  if (entries.length === 0) throw new Error('An ISO image needs at least one file');
  return withTempDir(async (dir) => {
    const root = join(dir, 'root');
    await stageIsoTree(root, entries);
    const out = join(dir, 'image.iso');
    await runTool('xorriso', ['-as', 'mkisofs', '-V', spec.volumeId, '-J', '-r', '-o', out, root], {
      timeoutMs: XORRISO_TIMEOUT_MS,
    });
    return readFile(out);
  });
}

/** Reads one file out of an ISO image given as bytes or as a path. */
export async function readIsoFile(iso: Buffer | string, innerPath: string): Promise<Buffer> {
  const inner = `/${checkedSegments(innerPath.replace(/^\/+/, '')).join('/')}`;
  if (typeof iso === 'string') {
    await stat(iso).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`Cannot read ISO image ${iso}: ${error.code ?? error.message}`);
    });
  }
  return withTempDir(async (dir) => {
    let isoPath = iso;
    if (typeof isoPath !== 'string') {
      isoPath = join(dir, 'image.iso');
      await writeFile(isoPath, iso);
    }
    const out = join(dir, 'extracted');
    try {
      await runTool('xorriso', ['-osirrox', 'on', '-indev', isoPath, '-extract', inner, out], {
        timeoutMs: XORRISO_TIMEOUT_MS,
      });
    } catch (error) {
      if (error instanceof MediaToolError && /No such file|not found/i.test(error.stderr))
        throw new IsoFileNotFoundError(inner);
      throw error;
    }
    const found = await stat(out).catch(() => undefined);
    if (!found) throw new IsoFileNotFoundError(inner);
    if (!found.isFile()) throw new Error(`${inner} in the ISO image is a directory, not a file`);
    return readFile(out);
  });
}
