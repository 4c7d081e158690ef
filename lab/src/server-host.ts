import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readIsoFile } from '@ingot/media';
import { freePort } from './free-port.js';
import type { LabServer } from './fleet.js';
import type { PowerChange } from './machine.js';
import { reportDisk, type DiskReport } from './disk-report.js';

/** Exit codes by which the agent asks the lab to act on the machine (agent/src, platform 'lab'). */
export const AGENT_EXIT_POWER_OFF = 80;
export const AGENT_EXIT_REBOOT = 81;

const AGENT_MAIN = fileURLToPath(new URL('../../agent/dist/main.js', import.meta.url));

export interface ServerHostOptions {
  /** Where the server's disks (sparse files) and agent files live. */
  workDir: string;
  /** Extra agent settings for this lab (e.g. a shorter lookup timeout). */
  agentOverrides?: Record<string, unknown>;
  /** Firmware time from power-on to the boot device starting (POST), in ms; 0 by default. */
  bootDelayMs?: number;
}

export interface HostEvents {
  /** The agent ramdisk started from virtual media, with its callback port. */
  'agent-started': [{ port: number; pid: number }];
  'agent-exited': [{ code: number | null; signal: string | null; output: string }];
  /** The server powered on from its disk: what it found written there. */
  'disk-boot': [DiskReport];
}

/**
 * The host side of a simulated server: its disks are sparse files, and when it powers on from the
 * virtual CD the lab runs the real agent (agent/dist/main.js) with the configuration found on the
 * boot ISO, as a ramdisk would. Powering off kills the agent; the agent's own power-off and reboot
 * commands come back as exit codes the host applies to the machine.
 */
export class ServerHost extends EventEmitter<HostEvents> {
  readonly disks: Record<string, string>;
  private agent: ChildProcess | undefined;
  private agentOutput: string[] = [];
  /**
   * Counts power changes. A boot still in its firmware delay or reading its ISO when the power
   * changes again is superseded: it must not start an agent on a machine that is off or rebooting.
   */
  private generation = 0;
  private readonly onPower = (change: PowerChange) =>
    void this.powerChanged(change, ++this.generation).catch((error) => this.fail(error));

  private constructor(
    readonly server: LabServer,
    private readonly opts: ServerHostOptions,
    private readonly dir: string,
  ) {
    super();
    this.disks = Object.fromEntries(
      server.profile.disks.map((d) => [d.name, join(dir, `${d.name.replace(/^\/dev\//, '')}.img`)]),
    );
  }

  static async create(server: LabServer, opts: ServerHostOptions): Promise<ServerHost> {
    const dir = join(opts.workDir, server.name);
    await mkdir(dir, { recursive: true });
    const host = new ServerHost(server, opts, dir);
    for (const disk of server.profile.disks) {
      const handle = await open(host.disks[disk.name]!, 'a');
      await handle.truncate(disk.size_bytes); // sparse: costs nothing until written
      await handle.close();
    }
    server.bmc.on('power', host.onPower);
    return host;
  }

  /** What the agent printed, for diagnosing a failed test. */
  output(): string {
    return this.agentOutput.join('');
  }

  async stop(): Promise<void> {
    this.server.bmc.off('power', this.onPower);
    this.generation++;
    await this.killAgent();
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async powerChanged(change: PowerChange, generation: number): Promise<void> {
    await this.killAgent();
    if (change.to === 'Off') return;
    const bootDelayMs = this.opts.bootDelayMs ?? 0;
    if (bootDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, bootDelayMs));
    if (generation !== this.generation) return;
    if (change.bootTarget === 'Cd') return this.bootAgent(generation);
    // The firmware boots the first disk that holds a partition table.
    const reports = await Promise.all(Object.values(this.disks).map(reportDisk));
    const bootable = reports.find((r) => r.partitions.length > 0) ?? reports[0];
    if (bootable && generation === this.generation) this.emit('disk-boot', bootable);
  }

  private async bootAgent(generation: number): Promise<void> {
    const image = this.server.bmc.state.media.Cd.image;
    if (!image) throw new Error(`${this.server.name} booted from CD with no media inserted`);
    const response = await fetch(image, { signal: AbortSignal.timeout(30_000) });
    if (!response.ok)
      throw new Error(
        `${this.server.name} could not read its boot ISO ${image}: HTTP ${response.status}`,
      );
    const iso = Buffer.from(await response.arrayBuffer());
    const fromIso = JSON.parse(
      (await readIsoFile(iso, 'ingot/agent.json')).toString('utf8'),
    ) as Record<string, unknown>;
    const port = await freePort();
    const profilePath = join(this.dir, 'hardware.json');
    await writeFile(profilePath, JSON.stringify(this.hardwareProfile(), null, 2));
    const configPath = join(this.dir, 'agent.json');
    await writeFile(
      configPath,
      JSON.stringify({
        ...fromIso,
        platform: 'lab',
        listen_host: '127.0.0.1',
        listen_port: port,
        advertise_host: '127.0.0.1',
        hardware_profile: profilePath,
        disks: this.disks,
        min_heartbeat_gap_s: 1,
        ...this.opts.agentOverrides,
      }),
      { mode: 0o600 },
    );
    // Powered off or rebooted while the ISO was read: this boot never happened.
    if (generation !== this.generation) return;
    const child = spawn(process.execPath, [AGENT_MAIN, '--config', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.agent = child;
    this.agentOutput = [];
    child.stdout!.on('data', (c: Buffer) => this.agentOutput.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => this.agentOutput.push(c.toString()));
    child.on('exit', (code, signal) => {
      if (this.agent === child) this.agent = undefined;
      this.emit('agent-exited', { code, signal, output: this.output() });
      if (code === AGENT_EXIT_POWER_OFF) this.server.bmc.hostPowerOff();
      if (code === AGENT_EXIT_REBOOT) this.server.bmc.hostReboot();
    });
    this.emit('agent-started', { port, pid: child.pid ?? 0 });
  }

  /** The profile in the agent's lab format (agent/src/inventory). */
  private hardwareProfile() {
    const { profile, macs, index, uuid } = this.server;
    return {
      cpu: {
        model_name: 'Lab Virtual CPU',
        count: profile.cpus,
        architecture: 'x86_64',
        frequency: '2400',
      },
      memory_mb: profile.memory_mb,
      disks: profile.disks.map((d, i) => ({
        ...d,
        model: d.rotational ? 'Lab HDD' : 'Lab SSD',
        serial: `LAB${String(index).padStart(4, '0')}D${i}`,
        wwn: `0x5000c500${String(index).padStart(4, '0')}${String(i).padStart(4, '0')}`,
        vendor: 'IngotLab',
        hctl: `${i}:0:0:0`,
      })),
      // Reported only (the agent listens on loopback): TEST-NET-1 addresses, because inspection
      // rightly ignores NICs whose only address is a loopback one when it creates ports.
      interfaces: macs.map((mac, i) => ({
        name: `eth${i}`,
        mac_address: mac,
        ipv4_address: `192.0.2.${((index * 2 + i) % 250) + 1}`,
      })),
      system_vendor: {
        manufacturer: 'Ingot Lab',
        product_name: 'Simulated Server',
        serial_number: uuid,
      },
      boot_mode: 'uefi',
      bmc_address: '127.0.0.1',
    };
  }

  private async killAgent(): Promise<void> {
    const child = this.agent;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  private fail(error: unknown): void {
    this.agentOutput.push(
      `lab host error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    this.emit('agent-exited', { code: null, signal: null, output: this.output() });
  }
}
