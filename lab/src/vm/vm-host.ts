import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { copyFile, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabServer } from '../fleet.js';
import { stablePort } from '../free-port.js';
import type { PowerChange } from '../machine.js';
import { chooseAccelerator, type Accelerator } from './accelerator.js';
import { ovmfFiles } from './firmware.js';
import { QmpConnection } from './qmp.js';
import { qemuArguments, SERVICES_GUEST_ADDRESS, type QemuLaunch } from './qemu-command.js';

/** The port the agent listens on inside the guest (IPA's). */
export const AGENT_GUEST_PORT = 9999;

export interface VmHostOptions {
  /** Where the VM's disk, firmware variables, console log and sockets live. */
  workDir: string;
  /** Ports of this machine's services (API, image cache) the guest reaches at 10.0.2.100:<port>. */
  servicePorts: number[];
  /** Defaults: the lab server's profile (its first disk). */
  cpus?: number;
  memoryMb?: number;
  diskBytes?: number;
  /** How many disks of diskBytes the VM has (default 1; two for software RAID). */
  disks?: number;
  /** DHCP's boot file for a network boot, e.g. http://10.0.2.100:<cache port>/ipxe/boot.ipxe. */
  pxeBootfile?: string;
  /** Where the lab's own lines go (accelerator, starts, stops). */
  log?: (line: string) => void;
}

export interface VmHostEvents {
  /** QEMU started, booting from this device. */
  started: [{ bootFrom: QemuLaunch['bootFrom']; firmware: 'uefi' | 'bios'; pid: number }];
  /** QEMU exited: asked by the BMC (power off/reset) or by the guest (poweroff, reboot). */
  stopped: [{ reason: string }];
  /** Something the host could not do (a boot ISO that does not download, QEMU failing). */
  error: [Error];
}

/**
 * A lab server as a QEMU virtual machine driven by its lab BMC: a power-on starts QEMU booting
 * the BMC's boot target (virtual media ISO, the NIC's iPXE or the disk) in the BMC's boot mode
 * (UEFI or legacy BIOS), a power-off stops it, and the guest's own poweroff or reboot comes back
 * to the BMC as the server's OS doing it. The serial console is appended to `consoleLog`.
 */
export class VmHost extends EventEmitter<VmHostEvents> {
  /** The first disk (the one the firmware boots). */
  readonly disk: string;
  /** Every disk's file, the first one first. */
  readonly disks: string[];
  readonly consoleLog: string;
  private qemu: ChildProcess | undefined;
  private qmp: QmpConnection | undefined;
  private qemuOutput = '';
  /** What went wrong on this host, for diagnosis (errors are also emitted). */
  private readonly errors: string[] = [];
  /** A boot overtaken by a power change must not start QEMU (see ServerHost). */
  private generation = 0;
  private readonly onPower = (change: PowerChange) =>
    void this.powerChanged(change, ++this.generation).catch((error: unknown) =>
      this.emit('error', error instanceof Error ? error : new Error(String(error))),
    );

  private constructor(
    readonly server: LabServer,
    private readonly opts: VmHostOptions,
    private readonly dir: string,
    readonly accelerator: Accelerator,
    /** 127.0.0.1:<agentHostPort> on this machine reaches the guest's agent port. */
    readonly agentHostPort: number,
    readonly cpus: number,
    readonly memoryMb: number,
    readonly diskBytes: number,
  ) {
    super();
    this.disk = join(dir, 'disk.img');
    this.disks = [
      this.disk,
      ...Array.from({ length: Math.max(0, (opts.disks ?? 1) - 1) }, (_, i) =>
        join(dir, `disk${i + 1}.img`),
      ),
    ];
    this.consoleLog = join(dir, 'console.log');
    this.on('error', (error) => {
      this.errors.push(`${new Date().toISOString()} ${error.message}`);
      this.log(`error: ${error.message}`);
    });
  }

  static async create(server: LabServer, opts: VmHostOptions): Promise<VmHost> {
    const dir = join(opts.workDir, server.name);
    await mkdir(dir, { recursive: true });
    const { accelerator, reason } = await chooseAccelerator();
    const host = new VmHost(
      server,
      opts,
      dir,
      accelerator,
      await stablePort(),
      opts.cpus ?? server.profile.cpus,
      opts.memoryMb ?? server.profile.memory_mb,
      opts.diskBytes ?? server.profile.disks[0]?.size_bytes ?? 8 * 1024 ** 3,
    );
    for (const file of host.disks) {
      const disk = await open(file, 'a');
      await disk.truncate(host.diskBytes); // sparse: costs nothing until written
      await disk.close();
    }
    await writeFile(host.consoleLog, '', { flag: 'a' });
    host.log(
      `VM with ${host.cpus} CPUs, ${host.memoryMb} MiB, ${host.disks.length} × ${host.diskBytes} byte disk, ` +
        `${accelerator.toUpperCase()} (${reason}); console ${host.consoleLog}; ` +
        `agent port 127.0.0.1:${host.agentHostPort} → guest :${AGENT_GUEST_PORT}`,
    );
    server.bmc.on('power', host.onPower);
    return host;
  }

  get running(): boolean {
    return this.qemu !== undefined && this.qemu.exitCode === null;
  }

  /** Everything the guest printed on its serial console so far (across reboots). */
  async consoleText(): Promise<string> {
    return readFile(this.consoleLog, 'utf8').catch(() => '');
  }

  /** The last lines of the console and of QEMU's own output, for a failed test's message. */
  async diagnosis(lines = 60): Promise<string> {
    const tail = (await this.consoleText()).split('\n').slice(-lines).join('\n');
    const errors = this.errors.length
      ? `\n--- host errors ---\n${this.errors.slice(-5).join('\n')}`
      : '';
    return `--- console of ${this.server.name} (${this.consoleLog}), last ${lines} lines ---\n${tail}\n--- QEMU stderr ---\n${this.qemuOutput.slice(-2000)}${errors}`;
  }

  async stop(): Promise<void> {
    this.server.bmc.off('power', this.onPower);
    this.generation++;
    await this.stopQemu();
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async powerChanged(change: PowerChange, generation: number): Promise<void> {
    await this.stopQemu();
    if (change.to === 'Off' || generation !== this.generation) return;
    const target = change.bootTarget ?? 'Hdd';
    const bootFrom = target === 'Cd' ? 'cd' : target === 'Pxe' ? 'network' : 'disk';
    const cdrom = bootFrom === 'cd' ? await this.fetchBootIso() : undefined;
    if (generation !== this.generation) return;
    await this.startQemu(bootFrom, cdrom, generation);
  }

  /** The BMC reads the inserted image's URL (only loopback URLs: no traffic leaves the machine). */
  private async fetchBootIso(): Promise<string> {
    const image = this.server.bmc.state.media.Cd.image;
    if (!image) throw new Error(`${this.server.name} booted from CD with no media inserted`);
    const host = new URL(image).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost')
      throw new Error(
        `${this.server.name}'s BMC will not fetch ${image}: the lab only reads 127.0.0.1 URLs ` +
          '(set INGOT_IMAGECACHE_BMC_URL to the image cache on 127.0.0.1)',
      );
    const response = await fetch(image, { signal: AbortSignal.timeout(120_000) });
    if (!response.ok)
      throw new Error(`${this.server.name}'s BMC could not read ${image}: HTTP ${response.status}`);
    const path = join(this.dir, 'virtual-media.iso');
    await writeFile(path, Buffer.from(await response.arrayBuffer()));
    return path;
  }

  private async startQemu(
    bootFrom: QemuLaunch['bootFrom'],
    cdrom: string | undefined,
    generation: number,
  ): Promise<void> {
    const uefi = this.server.bmc.state.boot.mode !== 'Legacy';
    const firmware: QemuLaunch['firmware'] = uefi
      ? { kind: 'uefi', ...(await this.uefiFirmware()) }
      : { kind: 'bios' };
    const qmpSocket = join(this.dir, 'qmp.sock');
    await rm(qmpSocket, { force: true });
    const launch: QemuLaunch = {
      name: this.server.name,
      uuid: this.server.uuid,
      accelerator: this.accelerator,
      cpus: this.cpus,
      memoryMb: this.memoryMb,
      firmware,
      disk: this.disk,
      extraDisks: this.disks.slice(1),
      cdrom,
      bootFrom,
      network: {
        mac: this.server.macs[0],
        forwardedPorts: this.opts.servicePorts,
        agentHostPort: this.agentHostPort,
        agentGuestPort: AGENT_GUEST_PORT,
        bootfile: bootFrom === 'network' ? this.opts.pxeBootfile : undefined,
      },
      consoleLog: this.consoleLog,
      qmpSocket,
    };
    if (generation !== this.generation) return;
    // setpriv --pdeathsig: QEMU dies with the lab, even when the lab is killed (no orphan VMs).
    const child = spawn(
      'setpriv',
      ['--pdeathsig', 'KILL', '--', 'qemu-system-x86_64', ...qemuArguments(launch)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.qemu = child;
    this.qemuOutput = '';
    child.stdout!.on('data', (c: Buffer) => (this.qemuOutput += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (this.qemuOutput += c.toString()));
    let guestAsked: string | undefined;
    child.on('error', (error) =>
      this.emit(
        'error',
        new Error(
          `cannot run setpriv + qemu-system-x86_64 (util-linux, qemu-system-x86): ${error.message}`,
        ),
      ),
    );
    child.on('exit', (code, signal) => {
      this.qmp?.close();
      if (this.qemu !== child) return; // stopped by the BMC: it already knows
      this.qemu = undefined;
      const reason = guestAsked ?? `QEMU exited (code ${code}, signal ${signal})`;
      this.log(`QEMU stopped: ${reason}`);
      this.emit('stopped', { reason });
      if (guestAsked === 'guest-reset') this.server.bmc.hostReboot();
      else {
        if (!guestAsked)
          this.emit('error', new Error(`${reason}: ${this.qemuOutput.slice(-1000)}`));
        this.server.bmc.hostPowerOff();
      }
    });
    await appendConsole(
      this.consoleLog,
      `\n[ingot lab] power on: ${firmware.kind.toUpperCase()} boot from ${bootFrom}${cdrom ? ` (${cdrom})` : ''}, ${this.accelerator}\n`,
    );
    this.log(`QEMU started (pid ${child.pid}): ${firmware.kind} boot from ${bootFrom}`);
    this.emit('started', { bootFrom, firmware: firmware.kind, pid: child.pid ?? 0 });
    try {
      const qmp = await QmpConnection.open(qmpSocket);
      this.qmp = qmp;
      qmp.on('shutdown', ({ guest, reason }) => {
        if (guest) guestAsked = reason;
      });
    } catch (error) {
      if (child.exitCode === null && this.qemu === child) throw error;
    }
  }

  /** OVMF's code read-only, and this VM's own copy of the variable store (kept across boots). */
  private async uefiFirmware(): Promise<{ code: string; vars: string }> {
    const { code, varsTemplate } = await ovmfFiles();
    const vars = join(this.dir, 'OVMF_VARS.fd');
    const exists = await stat(vars).then(
      () => true,
      () => false,
    );
    if (!exists) await copyFile(varsTemplate, vars);
    return { code, vars };
  }

  /** Stops QEMU at once (a power cut): the BMC's off, or a reset before the next start. */
  private async stopQemu(): Promise<void> {
    const child = this.qemu;
    this.qemu = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await appendConsole(this.consoleLog, `\n[ingot lab] power off\n`);
  }

  private log(line: string): void {
    this.opts.log?.(`${this.server.name}: ${line}`);
  }
}

const appendConsole = (path: string, line: string) => writeFile(path, line, { flag: 'a' });

export { SERVICES_GUEST_ADDRESS };
