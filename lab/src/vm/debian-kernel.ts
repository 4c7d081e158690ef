import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A Debian kernel installed on this machine (package linux-image-amd64) and its modules. */
export interface DebianKernel {
  release: string;
  /** /boot/vmlinuz-<release> */
  image: string;
  /** /lib/modules/<release> */
  modulesDir: string;
}

/** The newest kernel in /boot that has its modules installed. */
export async function findDebianKernel(): Promise<DebianKernel> {
  const releases = (await readdir('/boot').catch(() => [] as string[]))
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .sort()
    .reverse();
  for (const release of releases) {
    const modulesDir = join('/lib/modules', release);
    const ok = await readFile(join(modulesDir, 'modules.dep')).then(
      () => true,
      () => false,
    );
    if (ok) return { release, image: join('/boot', `vmlinuz-${release}`), modulesDir };
  }
  throw new Error(
    'no Debian kernel with its modules on this machine (/boot/vmlinuz-* and /lib/modules/*/modules.dep): ' +
      'install one with `apt-get install linux-image-amd64`',
  );
}

/**
 * The module files (paths relative to the modules dir) that loading `names` needs, each after
 * the modules it depends on, as modprobe would load them (from modules.dep).
 */
export async function modulesInLoadOrder(
  kernel: DebianKernel,
  names: readonly string[],
): Promise<string[]> {
  const deps = parseModulesDep(await readFile(join(kernel.modulesDir, 'modules.dep'), 'utf8'));
  const byName = new Map([...deps.keys()].map((path) => [moduleName(path), path]));
  const ordered: string[] = [];
  const visit = (path: string) => {
    if (ordered.includes(path)) return;
    for (const dep of deps.get(path) ?? []) visit(dep);
    ordered.push(path);
  };
  for (const name of names) {
    const path = byName.get(name.replace(/-/g, '_'));
    // Built into the kernel (no .ko): nothing to load.
    if (path) visit(path);
  }
  return ordered;
}

export function parseModulesDep(text: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    deps.set(
      line.slice(0, colon),
      line
        .slice(colon + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    );
  }
  return deps;
}

/** kernel/drivers/block/virtio_blk.ko(.xz) → virtio_blk */
export const moduleName = (path: string): string =>
  (path.split('/').pop() ?? path).replace(/\.ko(\.\w+)?$/, '').replace(/-/g, '_');
