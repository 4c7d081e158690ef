import { randomPassword } from './bmc-auth.js';
import {
  startIpmiBridge,
  type IpmiBridge,
  type IpmiEndpoint,
  type IpmiTarget,
} from './ipmi-bridge.js';
import { RedfishBmc, type RedfishBmcOptions } from './redfish-bmc.js';
import { describeServer, type HardwareProfile } from './server-profile.js';
import { labCertificate } from './tls-certificate.js';

export interface FleetOptions {
  count: number;
  tls?: boolean;
  /** Same account on every BMC; the password defaults to a random one per fleet. */
  username?: string;
  password?: string;
  responseDelayMs?: number;
  powerDelayMs?: number;
  /** Server i listens on basePort + i; ephemeral ports when absent. */
  basePort?: number;
  /**
   * Also an IPMI 2.0 endpoint per server (UDP on 127.0.0.1, same account as its BMC), acting on
   * the same machine as its Redfish BMC. Needs /usr/bin/python3 with python3-pyghmi.
   */
  ipmi?: boolean;
  /** With ipmi: server i's IPMI endpoint listens on UDP ipmiBasePort + i; OS-chosen when absent. */
  ipmiBasePort?: number;
}

/** One simulated server and how to reach its BMC. */
export interface LabServer {
  index: number;
  name: string;
  uuid: string;
  macs: [string, string];
  profile: HardwareProfile;
  /** BMC base URL, e.g. http://127.0.0.1:8000 */
  url: string;
  /** Path of the ComputerSystem, e.g. /redfish/v1/Systems/1 */
  systemPath: string;
  username: string;
  password: string;
  bmc: RedfishBmc;
  /** Ready-made redfish driver_info for enrolling this server (verification off under TLS). */
  driverInfo: Record<string, unknown>;
  /** With FleetOptions.ipmi: the server's IPMI endpoint, UDP on 127.0.0.1. */
  ipmi?: { host: string; port: number };
  /** With FleetOptions.ipmi: ready-made ipmi driver_info for enrolling this server. */
  ipmiDriverInfo?: Record<string, unknown>;
}

export interface Fleet {
  servers: LabServer[];
  /** With FleetOptions.ipmi: the process that serves every server's IPMI endpoint. */
  ipmiBridge?: IpmiBridge;
  stop(): Promise<void>;
}

const running = new Set<Fleet>();

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(opts.count) || opts.count < 1) {
    throw new RangeError(`fleet count must be a positive integer, got ${opts.count}`);
  }
  const username = opts.username ?? 'admin';
  const password = opts.password ?? randomPassword();
  const tls = opts.tls ? await labCertificate() : undefined;
  const started = await Promise.allSettled(
    Array.from({ length: opts.count }, (_, index) => {
      const bmcOptions: RedfishBmcOptions = {
        server: describeServer(index),
        port: opts.basePort === undefined ? 0 : opts.basePort + index,
        username,
        password,
        tls,
        responseDelayMs: opts.responseDelayMs,
        powerDelayMs: opts.powerDelayMs,
      };
      return RedfishBmc.start(bmcOptions);
    }),
  );
  const bmcs = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = started.find((r) => r.status === 'rejected');
  if (failure) {
    await Promise.all(bmcs.map((bmc) => bmc.stop()));
    throw failure.reason;
  }
  let ipmiBridge: IpmiBridge | undefined;
  if (opts.ipmi) {
    try {
      ipmiBridge = await startIpmiBridge(bmcs.map(ipmiTarget), { basePort: opts.ipmiBasePort });
    } catch (err) {
      await Promise.all(bmcs.map((bmc) => bmc.stop()));
      throw err;
    }
  }
  const fleet: Fleet = {
    servers: bmcs.map((bmc) => toLabServer(bmc, ipmiBridge?.endpointOf(bmc))),
    ...(ipmiBridge ? { ipmiBridge } : {}),
    stop: async () => {
      running.delete(fleet);
      await ipmiBridge?.stop();
      await Promise.all(bmcs.map((bmc) => bmc.stop()));
    },
  };
  running.add(fleet);
  return fleet;
}

/** Stops every fleet this process started; handy in test teardown and signal handlers. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((fleet) => fleet.stop()));
}

const ipmiTarget = (bmc: RedfishBmc): IpmiTarget => ({
  name: bmc.server.name,
  url: bmc.url,
  systemPath: bmc.systemPath,
  username: bmc.username,
  password: bmc.password,
  certificate: bmc.certificate,
});

function toLabServer(bmc: RedfishBmc, ipmi: IpmiEndpoint | undefined): LabServer {
  const { index, name, uuid, macs, profile } = bmc.server;
  return {
    index,
    name,
    uuid,
    macs,
    profile,
    url: bmc.url,
    systemPath: bmc.systemPath,
    username: bmc.username,
    password: bmc.password,
    bmc,
    driverInfo: {
      redfish_address: bmc.url,
      redfish_system_id: bmc.systemPath,
      redfish_username: bmc.username,
      redfish_password: bmc.password,
      ...(bmc.certificate ? { redfish_verify_ca: false } : {}),
    },
    ...(ipmi
      ? {
          ipmi: { host: ipmi.host, port: ipmi.port },
          ipmiDriverInfo: {
            ipmi_address: ipmi.host,
            ipmi_port: ipmi.port,
            ipmi_username: ipmi.username,
            ipmi_password: ipmi.password,
          },
        }
      : {}),
  };
}
