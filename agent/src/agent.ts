// Putting the agent together: inventory, API server, inspection, lookup, heartbeats.
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { once } from 'node:events';
import type { CommandContext, Departure } from './commands/definition.js';
import { CommandExecutor } from './commands/executor.js';
import { commandTable } from './commands/index.js';
import type { AgentConfig } from './config.js';
import { targetDisks } from './disks/devices.js';
import { exitCodeFor } from './exit-codes.js';
import { collectInventory } from './inventory/index.js';
import type { Inventory } from './inventory/types.js';
import { IronicClient } from './ironic/api-client.js';
import { Heartbeater } from './ironic/heartbeater.js';
import { findNode } from './ironic/find-node.js';
import { LogShipper } from './ironic/log-shipper.js';
import type { LogSink } from './log.js';
import { AgentLogger } from './log.js';
import type { NodeInfo } from './node-info.js';
import { asNodeInfo } from './node-info.js';
import { outboundDispatcher } from './outbound-tls.js';
import { createApiServer } from './server/api-server.js';
import { selfSignedCertificate, type AgentTls } from './server/auto-tls.js';
import { AgentStopped } from './sleep.js';
import { runTool } from './tools.js';
import { AGENT_VERSION } from './version.js';

export interface StartOptions {
  /** Where JSON log lines go (stdout by default). */
  logSink?: LogSink;
  /** Aborting it during startup makes startAgent reject with AgentStopped. */
  signal?: AbortSignal;
  /** Delay between answering a power/lockdown command and acting on it. */
  departureDelayMs?: number;
}

export interface RunningAgent {
  /** The port the command API listens on. */
  port: number;
  callbackUrl: string;
  nodeUuid: string;
  inventory: Inventory;
  log: AgentLogger;
  /** Resolves with the exit code when the agent leaves on its own (power off, reboot, lockdown). */
  exited: Promise<number>;
  stop(): Promise<void>;
}

/** Starts the agent; resolves once the lookup succeeded and heartbeats have begun. */
export async function startAgent(
  config: AgentConfig,
  options: StartOptions = {},
): Promise<RunningAgent> {
  const log = new AgentLogger(options.logSink);
  log.addSecret(config.agent_token);
  // Lines wait in the shipper's bounded buffer until the lookup tells which node this is.
  const shipper = new LogShipper({ apiUrl: config.api_url });
  log.subscribe((entry) => shipper.push(entry));
  log.info('starting agent', { version: AGENT_VERSION, platform: config.platform });

  const inventory = await collectInventory(config, log);
  // Replaced when software RAID steps make or remove md devices (rescanDisks).
  let disks = targetDisks(config, inventory);
  const outbound = await outboundDispatcher(config);
  // A virtual-media boot knows its node and token from the ISO: its lines go out from the start.
  if (config.node_uuid && config.agent_token)
    shipper.start(config.node_uuid, config.agent_token, outbound);
  const stopping = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, stopping.signal])
    : stopping.signal;

  let token = config.agent_token;
  let node: NodeInfo | undefined;
  let partitionUuids: Record<string, string> | undefined;
  let heartbeater: Heartbeater | undefined;
  let departing = false;
  let resolveExited!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (resolveExited = resolve));

  const context: CommandContext = {
    config,
    log,
    inventory,
    get disks() {
      return disks;
    },
    rescanDisks: async () => {
      inventory.disks = (await collectInventory(config, log)).disks;
      disks = targetDisks(config, inventory);
    },
    signal,
    outbound,
    node: () => node,
    rememberNode: (value) => (node = asNodeInfo(value) ?? node),
    partitionUuids: () => partitionUuids,
    setPartitionUuids: (uuids) => (partitionUuids = uuids),
    depart: (how) => {
      departing = true;
      setTimeout(() => void departAs(how), options.departureDelayMs ?? 200);
    },
  };
  const executor = new CommandExecutor(commandTable(context), {
    onFinished: (result, kind) => {
      const fields = { command: result.command_name, status: result.command_status };
      if (result.command_error) {
        log.error('command failed', { ...fields, error: result.command_error });
      } else {
        log.info('command finished', fields);
      }
      if (kind === 'async' && !departing) heartbeater?.force();
    },
  });
  let server: ReturnType<typeof createApiServer> | undefined;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    stopping.abort();
    heartbeater?.stop();
    log.info('agent stopping');
    await shipper.flush();
    shipper.stop();
    if (server?.listening) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    await outbound?.close();
    log.info('agent stopped');
  };

  async function departAs(how: Departure): Promise<void> {
    if (config.platform === 'host' && (how === 'power_off' || how === 'reboot')) {
      log.warn(`running ${how === 'power_off' ? 'poweroff' : 'reboot'}`);
      await shipper.flush();
      try {
        await runTool(how === 'power_off' ? 'poweroff' : 'reboot', []);
      } catch (err) {
        log.error('power action failed', { action: how, error: (err as Error).message });
      }
      return;
    }
    await stop();
    resolveExited(exitCodeFor(how));
  }

  try {
    const client = new IronicClient(config.api_url, log, { signal, dispatcher: outbound });
    // Inspection data may end this boot at once (the conductor powers the server off): what was
    // logged until now goes first.
    await shipper.flush();
    const found = await findNode(client, { config, inventory, disks, log, signal });
    token = found.token;
    node = found.node;
    shipper.start(found.node.uuid, found.token, outbound);
    // As IPA's serve_ipa_api: the API is served once the lookup told which server this is, over
    // TLS when that server takes the certificate in heartbeats.
    const host = advertiseHost(config);
    const tls = await autoTls(config, client, host, log);
    server = createApiServer({
      executor,
      log,
      // After a departure was asked for, no command gets in any more.
      token: () => (departing ? undefined : token),
      startedAt: Date.now() / 1000,
      tls,
    });
    server.listen(config.listen_port, config.listen_host);
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const scheme = tls ? 'https' : 'http';
    const callbackUrl = `${scheme}://${formatHost(host)}:${config.advertise_port ?? port}`;
    log.info('command API listening', {
      host: config.listen_host,
      port,
      callback_url: callbackUrl,
      tls: tls !== undefined,
    });
    heartbeater = new Heartbeater({
      client,
      nodeUuid: found.node.uuid,
      callbackUrl,
      token: found.token,
      verifyCa: tls?.cert,
      heartbeatTimeoutS: positiveOr(found.config.heartbeat_timeout, 300),
      minGapS: config.min_heartbeat_gap_s,
      log,
    });
    if (!stopped) heartbeater.start();
    return { port, callbackUrl, nodeUuid: found.node.uuid, inventory, log, exited, stop };
  } catch (err) {
    const cancelled = signal.aborted || err instanceof AgentStopped;
    await stop();
    if (cancelled) throw new AgentStopped();
    log.fatal('agent cannot run', { error: (err as Error).message });
    throw err;
  }
}

/**
 * IPA's _start_auto_tls: a certificate for the advertised host, unless enable_auto_tls is off or
 * the API is older than 1.68 (it would refuse agent_verify_ca, and the agent stays on HTTP).
 */
async function autoTls(
  config: AgentConfig,
  client: IronicClient,
  host: string,
  log: AgentLogger,
): Promise<AgentTls | undefined> {
  if (!config.enable_auto_tls) {
    log.info('automatic TLS is disabled: the command API is served over HTTP');
    return undefined;
  }
  if (!(await client.supportsAutoTls())) {
    log.warn(
      'the API does not take agent_verify_ca (before 1.68): serving the command API over HTTP',
    );
    return undefined;
  }
  const tls = await selfSignedCertificate(host);
  log.addSecret(tls.key);
  log.info('generated a self-signed TLS certificate for the command API', { host });
  return tls;
}

function positiveOr(value: unknown, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** advertise_host, else listen_host, else (listening everywhere) the first non-loopback IPv4. */
export function advertiseHost(config: AgentConfig): string {
  if (config.advertise_host) return config.advertise_host;
  if (config.listen_host !== '0.0.0.0' && config.listen_host !== '::') return config.listen_host;
  for (const addresses of Object.values(networkInterfaces())) {
    const address = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (address) return address.address;
  }
  return '127.0.0.1';
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
