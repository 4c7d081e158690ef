import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { modulesInLoadOrder, type DebianKernel } from './debian-kernel.js';

const run = promisify(execFile);
const BUSYBOX = '/bin/busybox';

export interface BusyboxInitramfs {
  kernel: DebianKernel;
  /** Kernel modules /init loads (with their dependencies), by name. */
  modules: readonly string[];
  /** Dynamically linked programs copied in with their libraries (ldd), at their own paths. */
  binaries?: readonly string[];
  /** The body of /init after the common preamble (busybox applets on PATH, /proc /sys /dev, modules). */
  script: string;
}

/**
 * A gzip'd newc initramfs: busybox-static, the named modules of a Debian kernel and an /init
 * shell script. Built with cpio from a staging directory (no root, no loop devices).
 */
export async function buildBusyboxInitramfs(spec: BusyboxInitramfs, out: string): Promise<void> {
  const stage = await mkdtemp(join(dirname(out), '.initramfs-'));
  try {
    for (const dir of ['bin', 'proc', 'sys', 'dev', 'etc', 'tmp', 'mnt', 'modules'])
      await mkdir(join(stage, dir), { recursive: true });
    await copyFile(BUSYBOX, join(stage, 'bin/busybox')).catch((error: Error) => {
      throw new Error(
        `cannot copy ${BUSYBOX} into the initramfs (${error.message}): install busybox-static`,
      );
    });
    for (const binary of spec.binaries ?? []) {
      const { stdout } = await run('ldd', [binary]);
      const libraries = [...stdout.matchAll(/(\/[^\s]+)/g)].map((m) => m[1]!);
      for (const file of [binary, ...libraries]) {
        await mkdir(join(stage, dirname(file)), { recursive: true });
        await copyFile(file, join(stage, file));
        await chmod(join(stage, file), 0o755);
      }
    }
    const modules = await modulesInLoadOrder(spec.kernel, spec.modules);
    for (const module of modules)
      await copyFile(
        join(spec.kernel.modulesDir, module),
        join(stage, 'modules', basename(module)),
      );
    const load = modules.map((m) => `insmod /modules/${basename(m)} 2>/dev/null`).join('\n');
    await writeFile(
      join(stage, 'init'),
      `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
${load}
${spec.script}
`,
    );
    await chmod(join(stage, 'init'), 0o755);
    await run('sh', ['-c', 'find . | cpio --quiet -o -H newc | gzip -1 > "$0"', out], {
      cwd: stage,
    });
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
