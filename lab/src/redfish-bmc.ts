import { EventEmitter } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { BmcAuth, randomPassword } from './bmc-auth.js';
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
import { managerPath, systemPath, type ResourceIds } from './redfish-resources.js';
import { serveRedfish } from './redfish-http.js';
import { redfishRoutes } from './redfish-routes.js';
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
    this.auth = new BmcAuth({ username: this.username, password: this.password });
    this.router = new Router(
      redfishRoutes({
        ids,
        server: this.server,
        machine: this.machine,
        auth: this.auth,
        secureBoot: opts.secureBoot ?? true,
      }),
    );
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
    for (const timer of this.delays) clearTimeout(timer);
    this.delays.clear();
    if (this.currentFault !== 'refuse') await this.closeListener();
    this.currentFault = 'refuse';
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

export const startRedfishBmc = (opts?: RedfishBmcOptions): Promise<RedfishBmc> =>
  RedfishBmc.start(opts);
