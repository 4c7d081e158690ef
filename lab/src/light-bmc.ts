import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BmcAuth, randomPassword } from './bmc-auth.js';
import { Router } from './http-routing.js';
import { LightSystem, type LightSystemState } from './light-system.js';
import type { RedfishPower } from './machine.js';
import { LAB_HOST } from './redfish-bmc.js';
import { ROOT, type ResourceIds } from './redfish-resources.js';
import { serveRedfish } from './redfish-http.js';
import { serviceRoutes, type SystemTarget } from './redfish-routes.js';
import { describeServer } from './server-profile.js';

/** describeServer's range: a lab server's index fits in two bytes of its MACs. */
const MAX_SERVER_INDEX = 0xffff;

export interface LightBmcHostOptions {
  /** Systems served, at /redfish/v1/Systems/1 … /redfish/v1/Systems/<count>. */
  count: number;
  /** The one account of every system; the password defaults to a random one. */
  username?: string;
  password?: string;
  /** 0 (default) picks a free ephemeral port. */
  port?: number;
  /** Power of every system at start (default Off). */
  power?: RedfishPower;
  /** describeServer index of system 1 (default 0), so that two hosts' servers differ. */
  firstIndex?: number;
  /** Added before every answer, to model BMCs that take their time. */
  responseDelayMs?: number;
}

/** Which system a request is about: /redfish/v1/Systems/<id>… or /redfish/v1/Managers/<id>…. */
const SYSTEM_IN_PATH = /^\/redfish\/v1\/(?:Systems|Managers)\/(\d+)(?:[/?]|$)/;

/**
 * The lab's light mode for Redfish: one process and one HTTP port on 127.0.0.1 serving thousands
 * of ComputerSystems, as sushy-tools serves many libvirt domains from one emulator. Each system has
 * its own manager (/redfish/v1/Managers/<id>, with Cd and Usb virtual media); all share one account
 * and one session service. A system is a few fields of state (see LightSystem), so 10,000 of them
 * fit in a few MiB; a bench flips their power out of band and reads request counts directly.
 */
export class LightBmcHost {
  readonly count: number;
  readonly username: string;
  readonly password: string;
  /** UUID of the service root. */
  readonly uuid = randomUUID();
  responseDelayMs: number;

  private readonly systems: LightSystem[];
  private readonly firstIndex: number;
  private readonly auth: BmcAuth;
  private readonly router: Router;
  private readonly listener: Server;
  private readonly delays = new Set<NodeJS.Timeout>();
  private requests = 0;
  private boundPort = 0;

  static async start(opts: LightBmcHostOptions): Promise<LightBmcHost> {
    const host = new LightBmcHost(opts);
    await host.listen(opts.port ?? 0);
    return host;
  }

  private constructor(opts: LightBmcHostOptions) {
    const firstIndex = opts.firstIndex ?? 0;
    if (!Number.isInteger(opts.count) || opts.count < 1) {
      throw new RangeError(`light host count must be a positive integer, got ${opts.count}`);
    }
    if (!Number.isInteger(firstIndex) || firstIndex < 0) {
      throw new RangeError(`light host firstIndex must be a natural number, got ${firstIndex}`);
    }
    if (firstIndex + opts.count - 1 > MAX_SERVER_INDEX) {
      throw new RangeError(
        `a light host serves lab servers 0..${MAX_SERVER_INDEX}; firstIndex ${firstIndex} + count ${opts.count} is past them`,
      );
    }
    this.count = opts.count;
    this.firstIndex = firstIndex;
    this.username = opts.username ?? 'admin';
    this.password = opts.password ?? randomPassword();
    this.responseDelayMs = opts.responseDelayMs ?? 0;
    const power = opts.power ?? 'Off';
    this.systems = Array.from({ length: opts.count }, () => new LightSystem(power));
    this.auth = new BmcAuth({ username: this.username, password: this.password });
    this.router = new Router(
      serviceRoutes({
        uuid: this.uuid,
        auth: this.auth,
        paths: { system: '{system}', manager: '{manager}' },
        find: (params) => this.target(params.system ?? params.manager),
        members: () => this.systems.map((_, index) => idsOf(index)),
        secureBoot: true,
      }),
    );
    this.listener = createServer((req, res) => this.onRequest(req, res));
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://${LAB_HOST}:${this.boundPort}`;
  }

  /** Path of system `index` (0-based), e.g. /redfish/v1/Systems/1 for index 0. */
  systemPath(index: number): string {
    this.system(index);
    return `${ROOT}/Systems/${index + 1}`;
  }

  /** Ready-made redfish driver_info for enrolling system `index`. */
  driverInfo(index: number): Record<string, unknown> {
    return {
      redfish_address: this.url,
      redfish_system_id: this.systemPath(index),
      redfish_username: this.username,
      redfish_password: this.password,
    };
  }

  /** Name of the lab server behind system `index`, as describeServer words it. */
  serverName(index: number): string {
    return describeServer(this.firstIndex + index).name;
  }

  stateOf(index: number): LightSystemState {
    return this.system(index).state;
  }

  /** Someone pressed the power button or used the BMC's own page: no request, no Reset. */
  setPower(index: number, power: RedfishPower): void {
    this.system(index).power = power;
  }

  /** Every HTTP request the host received, answered or not. */
  get requestCount(): number {
    return this.requests;
  }

  /** Requests per system, index by index (a copy, for a bench to diff between two reads). */
  requestCounts(): number[] {
    return this.systems.map((s) => s.requests);
  }

  get sessionCount(): number {
    return this.auth.sessionCount;
  }

  async stop(): Promise<void> {
    for (const timer of this.delays) clearTimeout(timer);
    this.delays.clear();
    await new Promise<void>((resolve) => {
      this.listener.close(() => resolve());
      // Also drop keep-alive connections, or close() would wait for the clients to hang up.
      this.listener.closeAllConnections();
    });
  }

  private system(index: number): LightSystem {
    const system = this.systems[index];
    if (!system) throw new RangeError(`the light host has no system of index ${index}`);
    return system;
  }

  /** The system a path id names: "1" … String(count), nothing else (not "01", not "1.0"). */
  private target(id: string | undefined): SystemTarget | undefined {
    const index = Number(id) - 1;
    const machine = this.systems[index];
    if (!machine || String(index + 1) !== id) return undefined;
    return { ids: idsOf(index), server: describeServer(this.firstIndex + index), machine };
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    const id = SYSTEM_IN_PATH.exec(req.url ?? '')?.[1];
    if (id !== undefined) {
      const system = this.systems[Number(id) - 1];
      if (system) system.requests++;
    }
    if (this.responseDelayMs <= 0) return void serveRedfish(this.router, this.auth, req, res);
    const timer = setTimeout(() => {
      this.delays.delete(timer);
      void serveRedfish(this.router, this.auth, req, res);
    }, this.responseDelayMs);
    this.delays.add(timer);
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) =>
        reject(new Error(`light BMC host cannot listen on ${LAB_HOST}:${port}: ${err.message}`));
      this.listener.once('error', onError);
      this.listener.listen({ port, host: LAB_HOST }, () => {
        this.listener.off('error', onError);
        this.boundPort = (this.listener.address() as AddressInfo).port;
        resolve();
      });
    });
  }
}

const idsOf = (index: number): ResourceIds => {
  const id = String(index + 1);
  return { system: id, manager: id };
};

export const startLightBmcHost = (opts: LightBmcHostOptions): Promise<LightBmcHost> =>
  LightBmcHost.start(opts);
