import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readIsoFile } from '@ingot/media';
import { verify } from 'unixcrypt';
import type { LabServer } from './fleet.js';
import { kernelParams, netboot, type NetbootOutcome } from './ipxe-firmware.js';
import type { PowerChange } from './machine.js';
import { reportDisk, type DiskReport } from './disk-report.js';
import { driveIds, type LabVolume } from './raid-controller.js';
import { volumeWwn } from './redfish-storage.js';

/** Exit codes by which the agent asks the lab to act on the machine (agent/src, platform 'lab'). */
export const AGENT_EXIT_POWER_OFF = 80;
export const AGENT_EXIT_REBOOT = 81;
/** rescue.finalize_rescue: the agent left; the machine stays on, its ramdisk the rescue system. */
export const AGENT_EXIT_RESCUED = 83;

const AGENT_MAIN = fileURLToPath(new URL('../../agent/dist/main.js', import.meta.url));

export interface ServerHostOptions {
  /** Where the server's disks (sparse files) and agent files live. */
  workDir: string;
  /** Extra agent settings for this lab (e.g. a shorter lookup timeout). */
  agentOverrides?: Record<string, unknown>;
  /** Firmware time from power-on to the boot device starting (POST), in ms; 0 by default. */
  bootDelayMs?: number;
  /**
   * Network boot: what the lab's DHCP server hands to iPXE, e.g. the image cache's
   * `/ipxe/boot.ipxe`. Without it a server that boots from the network gets no DHCP answer and
   * boots from its disk.
   */
  pxe?: { bootScriptUrl: string };
}

export interface HostEvents {
  /** The agent ramdisk started (from virtual media or the network). */
  'agent-started': [{ pid: number }];
  /** The agent's command API listens, on this port (it picks a free one itself). */
  'agent-listening': [{ port: number; pid: number }];
  /**
   * A network boot of the first NIC: the scripts iPXE followed, and whether they loaded the
   * agent (its kernel parameters) or sent the server on to its disk.
   */
  'pxe-boot': [
    {
      mac: string;
      scripts: string[];
      outcome: 'agent' | 'next-device';
      kernelParams?: Record<string, string>;
    },
  ];
  'agent-exited': [{ code: number | null; signal: string | null; output: string }];
  /** The server powered on from its disk: what it found written there. */
  'disk-boot': [DiskReport];
}

/**
 * The host side of a simulated server: its disks are sparse files, and when it powers on from the
 * virtual CD the lab runs the real agent (agent/dist/main.js) with the configuration found on the
 * boot ISO, as a ramdisk would. Powering on from the network, the lab plays iPXE: it follows the
 * boot script to the first NIC's script, and either boots the disk or runs the agent with the
 * kernel command line that script gives (--cmdline). Powering off kills the agent; the agent's
 * own power-off and reboot commands come back as exit codes the host applies to the machine.
 */
export class ServerHost extends EventEmitter<HostEvents> {
  /** The physical drives' files, by the name the OS gives them without a RAID volume. */
  private readonly drives: Record<string, string>;
  private agent: ChildProcess | undefined;
  private agentOutput: string[] = [];
  /** Where the current boot's lines start in agentOutput. */
  private bootStart = 0;
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
    this.drives = Object.fromEntries(
      server.profile.disks.map((d) => [d.name, join(dir, `${d.name.replace(/^\/dev\//, '')}.img`)]),
    );
  }

  /**
   * The block devices the server's OS sees, by name, and the files that play them. As behind a
   * hardware RAID controller, a drive that belongs to a RAID volume is hidden and the volume shows
   * as a disk of its own (named after the drives, /dev/sdc after /dev/sda and /dev/sdb); a drive in
   * no volume shows as itself.
   */
  get disks(): Record<string, string> {
    return Object.fromEntries(this.visibleDisks().map((d) => [d.name, d.path]));
  }

  private visibleDisks(): VisibleDisk[] {
    const { profile, index } = this.server;
    const volumes = this.volumes();
    const ids = driveIds(this.server);
    const inVolume = new Set(volumes.flatMap((v) => v.drives));
    const drives: VisibleDisk[] = profile.disks.flatMap((d, i) =>
      inVolume.has(ids[i] ?? '')
        ? []
        : [
            {
              ...d,
              path: this.drives[d.name]!,
              model: d.rotational ? 'Lab HDD' : 'Lab SSD',
              serial: `LAB${String(index).padStart(4, '0')}D${i}`,
              wwn: `0x5000c500${String(index).padStart(4, '0')}${String(i).padStart(4, '0')}`,
              vendor: 'IngotLab',
              hctl: `${i}:0:0:0`,
            },
          ],
    );
    const virtual = volumes.map((v, j): VisibleDisk => {
      const name = `/dev/sd${driveLetter(profile.disks.length + j)}`;
      const members = v.drives.map((id) => profile.disks[ids.indexOf(id)]);
      const wwn = volumeWwn(this.server, v.id).toLowerCase();
      return {
        name,
        size_bytes: v.capacityBytes,
        rotational: members.some((m) => m?.rotational === true),
        path: join(this.dir, `volume-${v.id}.img`),
        model: 'LabRAID VD',
        serial: wwn,
        wwn: `0x${wwn}`,
        vendor: 'IngotLab',
        hctl: `0:2:${j}:0`,
      };
    });
    return [...drives, ...virtual];
  }

  /** The RAID volumes the BMC's controller has (those staged for a boot appear at that boot). */
  private volumes(): LabVolume[] {
    const bmc = this.server.bmc as { state?: { volumes?: LabVolume[] } } | undefined;
    return bmc?.state?.volumes ?? [];
  }

  /** A volume's file is made when the OS first sees it: sparse, of the volume's size. */
  private async createVolumeFiles(): Promise<void> {
    for (const disk of this.visibleDisks()) {
      if (Object.values(this.drives).includes(disk.path)) continue;
      const handle = await open(disk.path, 'a');
      try {
        if ((await handle.stat()).size !== disk.size_bytes) await handle.truncate(disk.size_bytes);
      } finally {
        await handle.close();
      }
    }
  }

  static async create(server: LabServer, opts: ServerHostOptions): Promise<ServerHost> {
    const dir = join(opts.workDir, server.name);
    await mkdir(dir, { recursive: true });
    const host = new ServerHost(server, opts, dir);
    for (const disk of server.profile.disks) {
      const handle = await open(host.drives[disk.name]!, 'a');
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

  /**
   * Where the agent of the running ramdisk writes the rescue user's password hash (IPA's
   * /etc/ipa-rescue-config/ipa-rescue-password). It lives in the ramdisk's memory: gone at the
   * next power change.
   */
  get rescuePasswordFile(): string {
    return join(this.dir, 'ipa-rescue-password');
  }

  /**
   * The `rescue` user logs in to the rescue ramdisk with `password`: true when the agent set that
   * password (crypt(3) verification of the hash it wrote, as login does against /etc/shadow).
   */
  async rescueLogin(password: string): Promise<boolean> {
    let hash: string;
    try {
      hash = (await readFile(this.rescuePasswordFile, 'utf8')).trim();
    } catch {
      return false;
    }
    return this.server.bmc.state.power === 'On' && verify(password, hash);
  }

  /**
   * The agent dies (a crash, the OOM killer) and the server stays on: its heartbeats stop and its
   * API goes away. The next boot of the ramdisk starts a new agent. False when none was running.
   */
  async crashAgent(): Promise<boolean> {
    const running = this.agent !== undefined && this.agent.exitCode === null;
    await this.killAgent();
    return running;
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
    // The ramdisk's memory, its rescue password with it, does not outlive the power change.
    await rm(this.rescuePasswordFile, { force: true });
    if (change.to === 'Off') return;
    this.bootStart = this.agentOutput.length;
    const bootDelayMs = this.opts.bootDelayMs ?? 0;
    if (bootDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, bootDelayMs));
    if (generation !== this.generation) return;
    if (change.bootTarget === 'Cd') return this.bootFromCd(generation);
    if (change.bootTarget === 'Pxe' && (await this.bootFromNetwork(generation))) return;
    return this.bootFromDisk(generation);
  }

  /** The firmware boots the first disk that holds a partition table. */
  private async bootFromDisk(generation: number): Promise<void> {
    await this.createVolumeFiles();
    const reports = await Promise.all(Object.values(this.disks).map(reportDisk));
    const bootable = reports.find((r) => r.partitions.length > 0) ?? reports[0];
    if (bootable && generation === this.generation) this.emit('disk-boot', bootable);
  }

  private async bootFromCd(generation: number): Promise<void> {
    const image = this.server.bmc.state.media.Cd.image;
    if (!image) throw new Error(`${this.server.name} booted from CD with no media inserted`);
    const iso = await this.readBootIso(image, generation);
    if (!iso) return;
    const fromIso = JSON.parse(
      (await readIsoFile(iso, 'ingot/agent.json')).toString('utf8'),
    ) as Record<string, unknown>;
    // A CA bundle on the ISO is named relative to agent.json: it goes beside the lab's copy.
    const caFile = fromIso.ca_file;
    if (typeof caFile === 'string' && /^[\w.-]+$/.test(caFile))
      await writeFile(join(this.dir, caFile), await readIsoFile(iso, `ingot/${caFile}`));
    await this.runAgent(generation, fromIso, []);
  }

  /**
   * The boot ISO, read over HTTP as a BMC's virtual media reads it: a connection that breaks
   * (ECONNRESET, or a pooled keep-alive connection the server had just closed, which happens when
   * the lab's event loop runs late with a hundred servers) is tried again, as BMCs do. Undefined
   * when the boot was superseded by a power change meanwhile.
   */
  private async readBootIso(image: string, generation: number): Promise<Buffer | undefined> {
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(image, { signal: AbortSignal.timeout(30_000) });
        if (response.ok) return Buffer.from(await response.arrayBuffer());
      } catch (error) {
        // fetch's network failures are TypeErrors; a timeout (or anything else) is not retried.
        if (!(error instanceof TypeError) || attempt >= 3)
          throw new Error(
            `${this.server.name} could not read its boot ISO ${image}: ${describeError(error)}`,
          );
        this.note(`reading the boot ISO failed (${describeError(error)}), trying again`);
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        if (generation !== this.generation) return undefined;
        continue;
      }
      throw new Error(
        `${this.server.name} could not read its boot ISO ${image}: HTTP ${response.status}`,
      );
    }
  }

  /**
   * iPXE on the first NIC. True when the agent was started (or the boot was superseded); false
   * when the server goes on to its disk: no DHCP answer, a script that exits, a failed chain.
   */
  private async bootFromNetwork(generation: number): Promise<boolean> {
    const mac = this.server.macs[0];
    if (!this.opts.pxe) {
      this.note(
        `PXE boot of ${mac}: no DHCP answer (the lab has no pxe option), booting from disk`,
      );
      return false;
    }
    let outcome: NetbootOutcome;
    try {
      outcome = await netboot(this.opts.pxe.bootScriptUrl, mac);
    } catch (error) {
      // A boot overtaken by a power change has nothing to report.
      if (generation !== this.generation) return true;
      throw new Error(
        `${this.server.name} network boot of ${mac}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (generation !== this.generation) return true;
    if (outcome.kind === 'next-device') {
      this.emit('pxe-boot', { mac, scripts: outcome.scripts, outcome: 'next-device' });
      this.note(`PXE boot of ${mac}: ${outcome.reason}, booting from disk`);
      return false;
    }
    const params = kernelParams(outcome.args);
    this.emit('pxe-boot', {
      mac,
      scripts: outcome.scripts,
      outcome: 'agent',
      kernelParams: params,
    });
    // What /proc/cmdline holds on a real server booted with this kernel line.
    const cmdlinePath = join(this.dir, 'cmdline');
    await writeFile(cmdlinePath, `${outcome.args.join(' ')}\n`);
    // No API, node or token in the configuration: the agent finds them from the command line
    // and its lookup by MAC.
    await this.runAgent(generation, {}, ['--cmdline', cmdlinePath]);
    return true;
  }

  /** Runs the agent as a ramdisk would, with this lab's settings over `agentConfig`. */
  private async runAgent(
    generation: number,
    agentConfig: Record<string, unknown>,
    args: string[],
  ): Promise<void> {
    await this.createVolumeFiles();
    const profilePath = join(this.dir, 'hardware.json');
    await writeFile(profilePath, JSON.stringify(this.hardwareProfile(), null, 2));
    const configPath = join(this.dir, 'agent.json');
    await writeFile(
      configPath,
      JSON.stringify({
        ...agentConfig,
        platform: 'lab',
        listen_host: '127.0.0.1',
        // Port 0: the agent binds a free port itself and advertises it. A port picked here and
        // bound later could be taken in between by one of the many agents a lab starts at once.
        listen_port: 0,
        advertise_host: '127.0.0.1',
        hardware_profile: profilePath,
        disks: this.disks,
        min_heartbeat_gap_s: 1,
        rescue_password_file: this.rescuePasswordFile,
        ...this.opts.agentOverrides,
      }),
      { mode: 0o600 },
    );
    // Powered off or rebooted while the boot media was read: this boot never happened.
    if (generation !== this.generation) return;
    const child = spawn(process.execPath, [AGENT_MAIN, '--config', configPath, ...args], {
      // The stdin pipe closes if the lab dies, and the agent then stops (no orphans).
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, INGOT_STOP_WITH_STDIN: '1' },
    });
    this.agent = child;
    // The new agent's output follows this boot's notes; the previous agent's goes.
    this.agentOutput = this.agentOutput.slice(this.bootStart);
    this.bootStart = 0;
    const announceListening = listeningWatcher((port) =>
      this.emit('agent-listening', { port, pid: child.pid ?? 0 }),
    );
    child.stdout!.on('data', (c: Buffer) => {
      this.agentOutput.push(c.toString());
      announceListening(c);
    });
    child.stderr!.on('data', (c: Buffer) => this.agentOutput.push(c.toString()));
    child.on('exit', (code, signal) => {
      if (this.agent === child) this.agent = undefined;
      this.emit('agent-exited', { code, signal, output: this.output() });
      if (code === AGENT_EXIT_POWER_OFF) this.server.bmc.hostPowerOff();
      if (code === AGENT_EXIT_REBOOT) this.server.bmc.hostReboot();
    });
    this.emit('agent-started', { pid: child.pid ?? 0 });
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
      disks: this.visibleDisks().map(({ path: _path, ...disk }) => disk),
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

  /** A line of the host's own in the output, as a firmware console would show it. */
  private note(message: string): void {
    this.agentOutput.push(`lab host: ${this.server.name}: ${message}\n`);
  }

  private fail(error: unknown): void {
    this.agentOutput.push(`lab host error: ${describeError(error)}\n`);
    this.emit('agent-exited', { code: null, signal: null, output: this.output() });
  }
}

/** A disk as the agent's lab profile describes it, and the file that plays it. */
interface VisibleDisk {
  name: string;
  size_bytes: number;
  rotational: boolean;
  path: string;
  model: string;
  serial: string;
  wwn: string;
  vendor: string;
  hctl: string;
}

/** sda, sdb, ... sdz, sdaa: the kernel's names for the n-th SCSI disk. */
function driveLetter(n: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return n < 26 ? letters[n]! : driveLetter(Math.floor(n / 26) - 1) + letters[n % 26]!;
}

/** An error's message with its cause's (fetch says only "fetch failed"; the cause says why). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  if (!cause) return error.message;
  return `${error.message}: ${[cause.code, cause.message].filter(Boolean).join(' ')}`;
}

/**
 * Watches the agent's JSON log lines for the one saying its command API listens, and calls
 * `onPort` once with the port it bound.
 */
function listeningWatcher(onPort: (port: number) => void): (chunk: Buffer) => void {
  let partial = '';
  let announced = false;
  return (chunk) => {
    if (announced) return;
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      let entry: { msg?: unknown; port?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      if (entry.msg === 'command API listening' && typeof entry.port === 'number') {
        announced = true;
        onPort(entry.port);
        return;
      }
    }
  };
}
