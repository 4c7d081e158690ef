import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDebianKernel } from './debian-kernel.js';
import { buildBusyboxInitramfs } from './initramfs.js';

export type Accelerator = 'kvm' | 'tcg';

export interface AcceleratorChoice {
  accelerator: Accelerator;
  /** Why, for the lab's log. */
  reason: string;
}

const PROBE_MARKER = 'INGOT-KVM-PROBE-OK';
const PROBE_TIMEOUT_MS = 20_000;
let chosen: Promise<AcceleratorChoice> | undefined;

/**
 * KVM when it really runs a Linux guest, TCG otherwise. Opening /dev/kvm is not enough: under
 * some nested hypervisors (kvm-pvm) the device opens and the firmware runs, but a stock kernel
 * never gets past its decompressor. So the probe boots this machine's Debian kernel with a tiny
 * initramfs under KVM, once per machine boot (the answer is kept in the temp dir under the boot
 * id). INGOT_VM_ACCEL=kvm|tcg skips the probe.
 */
export function chooseAccelerator(): Promise<AcceleratorChoice> {
  chosen ??= choose();
  return chosen;
}

async function choose(): Promise<AcceleratorChoice> {
  const forced = process.env.INGOT_VM_ACCEL;
  if (forced === 'kvm' || forced === 'tcg')
    return { accelerator: forced, reason: `INGOT_VM_ACCEL=${forced}` };
  if (forced) throw new Error(`INGOT_VM_ACCEL must be kvm or tcg, got "${forced}"`);
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accelerator: 'tcg', reason: '/dev/kvm cannot be opened for reading and writing' };
  }
  const booted = await probeOncePerBoot();
  return booted
    ? { accelerator: 'kvm', reason: 'a Linux guest boots under /dev/kvm' }
    : {
        accelerator: 'tcg',
        reason: `/dev/kvm opens but a Linux guest did not boot under it within ${PROBE_TIMEOUT_MS / 1000}s (a nested hypervisor that cannot run stock kernels?)`,
      };
}

async function probeOncePerBoot(): Promise<boolean> {
  const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
  const cache = join(tmpdir(), 'ingot-kvm-probe.json');
  const cached = JSON.parse(await readFile(cache, 'utf8').catch(() => '{}')) as {
    bootId?: string;
    booted?: boolean;
  };
  if (bootId && cached.bootId === bootId && typeof cached.booted === 'boolean')
    return cached.booted;
  const booted = await linuxBootsUnderKvm();
  if (bootId) await writeFile(cache, JSON.stringify({ bootId, booted })).catch(() => undefined);
  return booted;
}

async function linuxBootsUnderKvm(): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'ingot-kvm-probe-'));
  try {
    const kernel = await findDebianKernel();
    const initrd = join(dir, 'probe.cpio.gz');
    await buildBusyboxInitramfs(
      { kernel, modules: [], script: `echo ${PROBE_MARKER}\npoweroff -f` },
      initrd,
    );
    const console = join(dir, 'console.log');
    const qemu = spawn(
      'qemu-system-x86_64',
      [
        ...['-machine', 'q35,accel=kvm', '-cpu', 'host', '-m', '256', '-nodefaults'],
        ...['-display', 'none', '-no-reboot', '-serial', `file:${console}`],
        ...['-kernel', kernel.image, '-initrd', initrd, '-append', 'console=ttyS0 quiet'],
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => {
      qemu.on('exit', () => resolve());
      qemu.on('error', () => resolve());
    });
    const timer = setTimeout(() => qemu.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    return (await readFile(console, 'utf8').catch(() => '')).includes(PROBE_MARKER);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
