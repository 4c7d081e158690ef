// Running the agent ramdisk in a QEMU virtual machine whose only network is QEMU's user-mode
// network with restrict=on: the guest reaches the test's servers on 127.0.0.1 through guestfwd
// rules, and the test reaches the guest's agent through a hostfwd rule.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** The address the guest uses for the host's 127.0.0.1 services. */
export const GUEST_HOST_ADDRESS = '10.0.2.100';

export type Accelerator = 'kvm' | 'tcg';

let probed: Promise<Accelerator> | undefined;

/**
 * KVM when /dev/kvm opens and a kernel really starts under it (nested KVM can open and then
 * hang the guest), else TCG. INGOT_QEMU_ACCEL=kvm|tcg skips the probe.
 */
export function chooseAccelerator(kernel: string): Promise<Accelerator> {
  const forced = process.env.INGOT_QEMU_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return Promise.resolve(forced);
  probed ??= probeKvm(kernel);
  return probed;
}

async function probeKvm(kernel: string): Promise<Accelerator> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return 'tcg';
  }
  const probe = spawn(
    'qemu-system-x86_64',
    [
      ...['-accel', 'kvm', '-cpu', 'host', '-m', '256', '-nographic', '-monitor', 'none'],
      ...['-serial', 'stdio', '-net', 'none', '-no-reboot', '-kernel', kernel],
      ...['-append', 'console=ttyS0 panic=-1'],
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let output = '';
  probe.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  const deadline = Date.now() + 8_000;
  while (Date.now() < deadline && !output.includes('Linux version') && probe.exitCode === null) {
    await delay(100);
  }
  probe.kill('SIGKILL');
  return output.includes('Linux version') ? 'kvm' : 'tcg';
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface VmOptions {
  kernel: string;
  initramfs: string;
  append: string;
  accel: Accelerator;
  memoryMiB: number;
  cpus: number;
  mac: string;
  disk: string;
  /** An ISO image in the VM's CD drive (virtual media). */
  cdrom?: string;
  serialLog: string;
  /** Host ports on 127.0.0.1 the guest reaches at GUEST_HOST_ADDRESS:<same port>. */
  guestForwards: number[];
  /** host 127.0.0.1:<host> → guest :<guest>. */
  hostForward: { host: number; guest: number };
}

export interface Vm {
  process: ChildProcess;
  startedAt: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
  serial: () => Promise<string>;
  kill: () => void;
}

/** Throws, saying what to install, when a program the VM needs is missing. */
export function requireVmTools(): void {
  for (const [tool, args, pkg] of [
    ['qemu-system-x86_64', ['--version'], 'qemu-system-x86'],
    ['socat', ['-V'], 'socat'],
  ] as const) {
    try {
      execFileSync(tool, args, { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is needed to run the agent ramdisk in a VM: apt-get install ${pkg}`);
    }
  }
}

export function startVm(opts: VmOptions): Vm {
  // guestfwd to a 'tcp:' chardev carries one connection for the VM's lifetime; a command is
  // started per guest connection, so each HTTP connection gets its own socat to the host port.
  const forwards = opts.guestForwards.map(
    (port) => `guestfwd=tcp:${GUEST_HOST_ADDRESS}:${port}-cmd:socat STDIO TCP:127.0.0.1:${port}`,
  );
  const netdev = [
    'user,id=n0,restrict=on,net=10.0.2.0/24',
    ...forwards,
    `hostfwd=tcp:127.0.0.1:${opts.hostForward.host}-:${opts.hostForward.guest}`,
  ].join(',');
  const args = [
    ...['-accel', opts.accel, ...(opts.accel === 'kvm' ? ['-cpu', 'host'] : [])],
    ...['-m', String(opts.memoryMiB), '-smp', String(opts.cpus)],
    ...['-kernel', opts.kernel, '-initrd', opts.initramfs, '-append', opts.append],
    ...['-nographic', '-monitor', 'none', '-serial', `file:${opts.serialLog}`, '-no-reboot'],
    ...['-drive', `file=${opts.disk},format=raw,if=virtio`],
    ...(opts.cdrom ? ['-cdrom', opts.cdrom] : []),
    ...['-netdev', netdev, '-device', `virtio-net-pci,netdev=n0,mac=${opts.mac}`],
  ];
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    startedAt: Date.now(),
    exited,
    stderr: () => stderr,
    serial: () => readFile(opts.serialLog, 'latin1').catch(() => ''),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
