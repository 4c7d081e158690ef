import { EventEmitter } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { BiosSettings, type BiosValue } from './bios-settings.js';
import { BmcAuth, randomPassword } from './bmc-auth.js';
import { FirmwareUpdates, type FirmwareId } from './firmware-updates.js';
import { Router } from './http-routing.js';
import {
  SimulatedMachine,
  type BootOverride,
  type MachineEvents,
  type MediaDevice,
  type MediaState,
  type RedfishPower,
  type ResetType,
} from './machine.js';
import { RaidController, type ApplyTime, type LabVolume } from './raid-controller.js';
import { managerPath, systemPath, type ResourceIds } from './redfish-resources.js';
import { serveRedfish } from './redfish-http.js';
import { redfishRoutes } from './redfish-routes.js';
import { TaskService, type LabTask } from './redfish-tasks.js';
import { describeServer, type ServerIdentity } from './server-profile.js';
import { labCertificate, type TlsMaterial } from './tls-certificate.js';

/** Every lab BMC listens on loopback only. */
export const LAB_HOST = '127.0.0.1';

export interface RedfishBmcOptions {
  /** The simulated server behind the BMC; defaults to describeServer(0). */
  server?: ServerIdentity;
  /** 0 (default) picks a free ephemeral port. */
  port?: number;
  username?: string;
  /** Defaults to a random password, readable from `bmc.password`. */
  password?: string;
  /** Serve HTTPS with the lab's self-signed certificate (true) or with the given one. */
  tls?: boolean | TlsMaterial;
  /** Added before every answer, to model a slow BMC. */
  responseDelayMs?: number;
  /** Time a power change takes to show after a Reset. */
  powerDelayMs?: number;
  power?: RedfishPower;
  /** Ids in the resource paths: /redfish/v1/Systems/<systemId>, /redfish/v1/Managers/<managerId>. */
  systemId?: string;
  managerId?: string;
  /** The system has a SecureBoot resource (default); false models a BMC that cannot manage it. */
  secureBoot?: boolean;
  /** How long a SimpleUpdate firmware update runs (default 2000 ms); settable later. */
  firmwareUpdateMs?: number;
  /** Fault: every firmware update ends in TaskState Exception with this message. */
  firmwareUpdateFailure?: string;
}

/**
 * - none: answers normally;
 * - refuse: stops listening, so connections are refused (a BMC that is off the network);
 * - hang: accepts connections and never answers (a wedged BMC);
 * - busy: answers everything with HTTP 503 (a BMC whose web server is restarting).
 */
export type BmcFault = 'none' | 'refuse' | 'hang' | 'busy';

/** What a test can observe of a BMC. */
export interface BmcState {
  power: RedfishPower;
  boot: BootOverride;
  media: Record<MediaDevice, MediaState>;
  /** SecureBootEnable of the system's SecureBoot resource. */
  secureBoot: boolean;
  requestCount: number;
  resets: ResetType[];
  sessions: number;
  fault: BmcFault;
  /** BIOS attributes in effect, those staged for the next boot, and a staged Bios.ResetBios. */
  bios: {
    current: Record<string, BiosValue>;
    pending: Record<string, BiosValue>;
    resetPending: boolean;
  };
  /** RAID volumes that exist, and those created with apply time OnReset awaiting a boot. */
  volumes: LabVolume[];
  pendingVolumes: LabVolume[];
  /** Firmware versions running, and those flashed that take effect at the next boot. */
  firmware: Record<FirmwareId, { version: string; pendingVersion: string | undefined }>;
  /** Every Task of the TaskService (firmware updates, staged volumes). */
  tasks: LabTask[];
}

/** One simulated Redfish BMC on 127.0.0.1. Emits `power`, `boot` and `media` events. */
export class RedfishBmc extends EventEmitter<MachineEvents> {
  readonly server: ServerIdentity;
  readonly username: string;
  readonly password: string;
  readonly systemPath: string;
  readonly managerPath: string;
  /** PEM of the certificate the BMC presents, when it serves HTTPS. */
  readonly certificate: string | undefined;
  responseDelayMs: number;

  private readonly machine: SimulatedMachine;
  private readonly bios: BiosSettings;
  private readonly raid: RaidController;
  private readonly firmware: FirmwareUpdates;
  private readonly tasks = new TaskService();
  private readonly auth: BmcAuth;
  private readonly router: Router;
  private readonly listener;
  private readonly delays = new Set<NodeJS.Timeout>();
  private requestCount = 0;
  private currentFault: BmcFault = 'none';
  private boundPort = 0;

  static async start(opts: RedfishBmcOptions = {}): Promise<RedfishBmc> {
    const tls = opts.tls === true ? await labCertificate() : opts.tls || undefined;
    const bmc = new RedfishBmc(opts, tls);
    await bmc.listen(opts.port ?? 0);
    return bmc;
  }

  private constructor(opts: RedfishBmcOptions, tls: TlsMaterial | undefined) {
    super();
    this.server = opts.server ?? describeServer(0);
    this.username = opts.username ?? 'admin';
    this.password = opts.password ?? randomPassword();
    this.responseDelayMs = opts.responseDelayMs ?? 0;
    this.certificate = tls?.cert;
    const ids: ResourceIds = { system: opts.systemId ?? '1', manager: opts.managerId ?? 'BMC' };
    this.systemPath = systemPath(ids);
    this.managerPath = managerPath(ids);
    this.machine = new SimulatedMachine({ power: opts.power, powerDelayMs: opts.powerDelayMs });
    this.bios = new BiosSettings(serviceTag(this.server));
    this.raid = new RaidController(this.server, this.tasks);
    this.firmware = new FirmwareUpdates(this.tasks, {
      updateMs: opts.firmwareUpdateMs,
      failure: opts.firmwareUpdateFailure,
    });
    this.auth = new BmcAuth({ username: this.username, password: this.password });
    this.router = new Router(
      redfishRoutes({
        ids,
        server: this.server,
        machine: this.machine,
        auth: this.auth,
        secureBoot: opts.secureBoot ?? true,
        bios: this.bios,
        raid: this.raid,
        firmware: this.firmware,
        tasks: this.tasks,
      }),
    );
    // What waits for a boot takes effect first, so that whoever watches `power` sees it applied.
    this.machine.on('power', ({ to }) => {
      if (to === 'On') this.applyAtBoot();
    });
    this.machine.on('power', (change) => this.emit('power', change));
    this.machine.on('boot', (change) => this.emit('boot', change));
    this.machine.on('media', (change) => this.emit('media', change));
    const handler = (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res);
    this.listener = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `${this.certificate ? 'https' : 'http'}://${LAB_HOST}:${this.boundPort}`;
  }

  get powerDelayMs(): number {
    return this.machine.powerDelayMs;
  }

  set powerDelayMs(ms: number) {
    this.machine.powerDelayMs = ms;
  }

  get fault(): BmcFault {
    return this.currentFault;
  }

  get firmwareUpdateMs(): number {
    return this.firmware.updateMs;
  }

  set firmwareUpdateMs(ms: number) {
    this.firmware.updateMs = ms;
  }

  /**
   * The apply times the RAID controller offers for new volumes: both by default; ['OnReset'] models
   * a controller (such as iDRAC's) that builds volumes only at the next boot.
   */
  get volumeApplyTimes(): ApplyTime[] {
    return [...this.raid.applyTimes];
  }

  set volumeApplyTimes(times: ApplyTime[]) {
    this.raid.applyTimes = [...times];
  }

  /** Fault knob: a message makes every firmware update fail with it; undefined heals. */
  get firmwareUpdateFailure(): string | undefined {
    return this.firmware.failure;
  }

  set firmwareUpdateFailure(message: string | undefined) {
    this.firmware.failure = message;
  }

  get state(): BmcState {
    const { power, boot, media, resets } = this.machine;
    return {
      power,
      boot: { ...boot },
      media: { Cd: { ...media.Cd }, Usb: { ...media.Usb } },
      secureBoot: this.machine.secureBoot,
      requestCount: this.requestCount,
      resets: [...resets],
      sessions: this.auth.sessionIds().length,
      fault: this.currentFault,
      bios: {
        current: { ...this.bios.current },
        pending: { ...this.bios.pending },
        resetPending: this.bios.resetPending,
      },
      volumes: structuredClone(this.raid.volumes),
      pendingVolumes: this.raid.pending.map((p) => structuredClone(p.volume)),
      firmware: Object.fromEntries(
        Object.values(this.firmware.components).map((c) => [
          c.id,
          { version: c.version, pendingVersion: c.pendingVersion },
        ]),
      ) as BmcState['firmware'],
      tasks: this.tasks.list(),
    };
  }

  /** What the server's OS does on its own (the agent's power off and reboot commands). */
  hostPowerOff(): void {
    this.machine.hostPowerOff();
  }

  hostReboot(): void {
    this.machine.hostReboot();
  }

  async setFault(fault: BmcFault): Promise<void> {
    const wasListening = this.currentFault !== 'refuse';
    this.currentFault = fault;
    if (fault === 'refuse' && wasListening) await this.closeListener();
    if (fault !== 'refuse' && !wasListening) await this.listen(this.boundPort);
  }

  /** Forgets all sessions, so the next request with an old X-Auth-Token gets 401. */
  expireSessions(): void {
    this.auth.expireSessions();
  }

  async stop(): Promise<void> {
    this.machine.cancelPending();
    this.firmware.stop();
    for (const timer of this.delays) clearTimeout(timer);
    this.delays.clear();
    if (this.currentFault !== 'refuse') await this.closeListener();
    this.currentFault = 'refuse';
  }

  /** The server boots: staged BIOS settings, volumes and firmware take effect, as on hardware. */
  private applyAtBoot(): void {
    this.firmware.applyAtBoot();
    this.bios.applyAtBoot();
    this.raid.applyAtBoot();
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) =>
        reject(new Error(`lab BMC cannot listen on ${LAB_HOST}:${port}: ${err.message}`));
      this.listener.once('error', onError);
      this.listener.listen({ port, host: LAB_HOST }, () => {
        this.listener.off('error', onError);
        this.boundPort = (this.listener.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private closeListener(): Promise<void> {
    return new Promise((resolve) => {
      this.listener.close(() => resolve());
      // Also drop keep-alive and hanging connections, or close() would wait for them.
      this.listener.closeAllConnections();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.requestCount++;
    if (this.currentFault === 'hang') return;
    if (this.currentFault === 'busy') {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' });
      return void res.end(
        JSON.stringify({
          error: {
            code: 'Base.1.8.ServiceTemporarilyUnavailable',
            message: 'The service is temporarily unavailable. Retry in 2 seconds.',
          },
        }),
      );
    }
    if (this.responseDelayMs <= 0) return void this.respond(req, res);
    const timer = setTimeout(() => {
      this.delays.delete(timer);
      void this.respond(req, res);
    }, this.responseDelayMs);
    this.delays.add(timer);
  }

  private respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return serveRedfish(this.router, this.auth, req, res);
  }
}

/** A seven-character service tag, as Dell's are, stable for a server. */
const serviceTag = (server: ServerIdentity) =>
  `L${server.uuid.replace(/-/g, '').slice(0, 6).toUpperCase()}`;

export const startRedfishBmc = (opts?: RedfishBmcOptions): Promise<RedfishBmc> =>
  RedfishBmc.start(opts);
