import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createScratchDatabase, dropScratchDatabase } from '@ingot/store';
import { stablePort } from './free-port.js';
import { waitFor } from './wait-for.js';

// lab/src or lab/dist → the repository root, where the services' builds live.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * The heap settings every service runs with, as deploy/Dockerfile sets them in NODE_OPTIONS (a
 * test keeps the two equal). V8's defaults on a large machine let the old generation grow to four
 * times its live size before a full collection and the young one to 2 × 16 MiB; the five services
 * then peaked at ~390 MiB PSS in the 1000-node bench, against ~265 MiB with these, at no CPU cost
 * the bench could tell apart from its noise. 512 MiB is a cap far above what a service keeps live
 * at 10,000 nodes (bench/README.md).
 */
export const SERVICE_NODE_OPTIONS = ['--max-old-space-size=512', '--max-semi-space-size=4'];

export type ServiceName =
  'api' | 'conductor' | 'power' | 'imagecache' | 'inspector' | 'k8s-adapter';

export interface InstallationOptions {
  /**
   * The address machines use to reach the services, when it is not 127.0.0.1: the VM lab's
   * 10.0.2.100 (QEMU forwards it to 127.0.0.1, same ports). Agents get the API and the image
   * cache there; BMCs still get the image cache on 127.0.0.1 (INGOT_IMAGECACHE_BMC_URL).
   */
  machineFacingHost?: string;
  /** Options for the Node.js runtime of every service (the bench's `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** A NATS server other than NATS_URL's (a test's own, which it restarts: private-infra.ts). */
  natsUrl?: string;
  /** The PostgreSQL cluster to make the scratch database in, other than DATABASE_URL's. */
  databaseUrl?: string;
}

export interface ServiceProcess {
  name: string;
  kind: ServiceName;
  child: ChildProcess;
  output: string[];
  opsPort: number;
  exited: Promise<number | null>;
}

/**
 * A whole Ingot installation on this machine: its own database, bus prefix and secret key, with
 * each service a real child process built from the repository (run `npm run build` first). Tests
 * use one per test file; the demo uses one too.
 */
export class Installation {
  readonly services: ServiceProcess[] = [];
  /** A service restarted under the same name gets the same port (agents keep image URLs). */
  private readonly ports = new Map<string, number>();
  private dropDatabase: () => Promise<void> = async () => undefined;

  private constructor(
    readonly prefix: string,
    readonly databaseUrl: string,
    readonly secretKey: string,
    readonly env: Record<string, string>,
    readonly apiPort: number,
    readonly workDir: string,
    private readonly machineFacingHost = '127.0.0.1',
    private readonly nodeArgs: string[] = [],
    readonly natsUrl: string = NATS_URL,
  ) {
    this.registerSecret(secretKey);
    this.registerSettingSecrets(env);
  }

  /** The values of settings named like secrets (not the paths of *_FILE settings). */
  private registerSettingSecrets(env: Record<string, string>): void {
    for (const [name, value] of Object.entries(env))
      if (/TOKEN|PASSWORD|SECRET/.test(name) && !name.endsWith('_FILE')) this.registerSecret(value);
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /**
   * The base URLs of the API replicas running now, the first ('api', on apiPort) first: what a
   * load balancer in front of them would list. A replica is an API started under another name
   * (`startService('api', {}, 'api-2')`), on a port of its own.
   */
  get apiUrls(): string[] {
    return this.services
      .filter((s) => s.kind === 'api' && s.child.exitCode === null && !s.child.killed)
      .map((s) => `http://127.0.0.1:${s.opsPort}`);
  }

  /** The base URL of the API replica of that name (its port picked now if it has not started). */
  async apiUrlOf(name: string): Promise<string> {
    return `http://127.0.0.1:${await this.servicePort(name)}`;
  }

  static async create(
    env: Record<string, string> = {},
    dbPrefix = 'ingot_t',
    options: InstallationOptions = {},
  ): Promise<Installation> {
    const scratch = await createScratchDatabase(dbPrefix, options.databaseUrl);
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const workDir = await mkdtemp(join(tmpdir(), `ingot-${prefix}-`));
    const system = new Installation(
      prefix,
      scratch.url,
      randomBytes(24).toString('base64'),
      env,
      await stablePort(),
      workDir,
      options.machineFacingHost,
      options.nodeArgs,
      options.natsUrl,
    );
    system.dropDatabase = scratch.drop;
    return system;
  }

  /** Starts every service once (api, conductor, power, image cache, inspector) and waits until each is ready. */
  static async start(
    env: Record<string, string> = {},
    options: InstallationOptions = {},
  ): Promise<Installation> {
    const system = await Installation.create(env, undefined, options);
    const started = await Promise.allSettled(
      (['power', 'conductor', 'imagecache', 'inspector', 'api'] as const).map((kind) =>
        system.startService(kind),
      ),
    );
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // The caller never gets the installation, so nobody else would stop what did start (and
      // its processes would hold their database connections until the machine reboots).
      await system.stop().catch(() => undefined);
      throw failed.reason;
    }
    return system;
  }

  async startService(
    kind: ServiceName,
    extraEnv: Record<string, string> = {},
    name: string = kind,
  ): Promise<ServiceProcess> {
    // The API named 'api' listens on apiPort; another API replica gets a port of its own.
    const opsPort = await this.servicePort(name);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: this.databaseUrl,
      NATS_URL: this.natsUrl,
      INGOT_BUS_PREFIX: this.prefix,
      INGOT_SECRET_KEY: this.secretKey,
      INGOT_OPS_PORT: String(opsPort),
      INGOT_AGENT_API_URL: `http://${this.machineFacingHost}:${this.apiPort}`,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'debug',
      // Tests run two installations at once (some with several conductors or sites) on one
      // PostgreSQL of 100 connections by default: 5 per process keeps them well inside.
      INGOT_DB_POOL_SIZE: '5',
      // If this process dies, the stdin pipe closes and the service stops: no orphans.
      INGOT_STOP_WITH_STDIN: '1',
      ...this.env,
      ...extraEnv,
    };
    this.registerSettingSecrets(extraEnv);
    if (kind === 'api') env.INGOT_API_PORT = String(opsPort);
    if (kind === 'imagecache') {
      env.INGOT_IMAGECACHE_PORT = String(opsPort);
      // With a certificate (INGOT_IMAGECACHE_TLS_CERT_FILE) agents download over HTTPS.
      const cacheScheme = env.INGOT_IMAGECACHE_TLS_CERT_FILE ? 'https' : 'http';
      env.INGOT_IMAGECACHE_PUBLIC_URL = `${cacheScheme}://${this.machineFacingHost}:${opsPort}`;
      if (this.machineFacingHost !== '127.0.0.1')
        env.INGOT_IMAGECACHE_BMC_URL = `http://127.0.0.1:${opsPort}`;
      env.INGOT_IMAGECACHE_DIR = join(this.workDir, name);
      // iPXE scripts send agents to the same API as the conductors' boot ISOs (the doctor checks).
      env.INGOT_API_PUBLIC_URL ??= env.INGOT_AGENT_API_URL!;
    }
    if (kind === 'conductor')
      env.INGOT_CONDUCTOR_ID ??= `${name}-${randomBytes(2).toString('hex')}`;
    const args = [...SERVICE_NODE_OPTIONS, ...this.nodeArgs, `services/${kind}/dist/main.js`];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    const service: ServiceProcess = { name, kind, child, output, opsPort, exited };
    this.services.push(service);
    // An API or image cache given a certificate (INGOT_*_TLS_CERT_FILE) answers HTTPS only.
    const certificate =
      kind === 'api'
        ? env.INGOT_API_TLS_CERT_FILE
        : kind === 'imagecache'
          ? env.INGOT_IMAGECACHE_TLS_CERT_FILE
          : undefined;
    const scheme = certificate ? 'https' : 'http';
    const url = `${scheme}://127.0.0.1:${opsPort}/healthz`;
    await waitFor(
      `${name} to answer ${url}`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${name} exited: ${output.join('').slice(-2000)}`);
        return scheme === 'https' ? (await httpsStatus(url)) === 200 : (await fetch(url)).ok;
      },
      30_000,
      100,
    );
    return service;
  }

  /** The port of the service of that name, picked now if it has not started yet (e.g. to forward it into VMs first). */
  async servicePort(name: string): Promise<number> {
    if (name === 'api') return this.apiPort;
    const port = this.ports.get(name) ?? (await stablePort());
    this.ports.set(name, port);
    return port;
  }

  service(name: string): ServiceProcess {
    const found = this.services.find(
      (s) => s.name === name && s.child.exitCode === null && !s.child.killed,
    );
    if (!found) throw new Error(`no running service named ${name}`);
    return found;
  }

  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const service = this.service(name);
    service.child.kill(signal);
    await service.exited;
  }

  /**
   * JSON request to the API; returns status and parsed body. Sent at the latest API microversion
   * unless `headers` names one (without a version header Ironic's API answers as 1.1).
   */
  // Callers read loosely typed JSON; they name T where they rely on a shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async api<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    /** Another API replica's base URL (apiUrls, apiUrlOf). */
    baseUrl: string = this.apiUrl,
  ) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(Object.keys(headers).some((h) => h.toLowerCase() === 'x-openstack-ironic-api-version')
          ? {}
          : { 'x-openstack-ironic-api-version': 'latest' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : undefined) as T,
      headers: response.headers,
      text,
    };
  }

  /** Everything every service printed so far. */
  logs(): string {
    return this.services.map((s) => s.output.join('')).join('');
  }

  /**
   * Secrets this installation was given: its secret key, tokens and passwords of its settings,
   * and what tests register (BMC passwords at enrollment). stop() fails if any service wrote one.
   */
  private readonly secrets = new Set<string>();

  /** Registers a secret that no service may ever write to its output. */
  registerSecret(value: string | undefined): void {
    // Short values would match by chance ('admin'); real secrets are longer.
    if (value && value.length >= 8) this.secrets.add(value);
  }

  /** The services' output lines that hold a registered secret (the secret itself not repeated). */
  leakedSecrets(): string[] {
    const leaks: string[] = [];
    for (const service of this.services) {
      const output = service.output.join('');
      for (const secret of this.secrets) {
        const at = output.indexOf(secret);
        if (at < 0) continue;
        const line = output.slice(output.lastIndexOf('\n', at) + 1, output.indexOf('\n', at));
        leaks.push(`${service.name}: ${line.split(secret).join('<SECRET>').slice(0, 300)}`);
      }
    }
    return leaks;
  }

  /**
   * Removes what an installation left behind when its owner died before stopping it (its bus
   * streams, its database, its work directory); its services stop by themselves (stdin closes).
   */
  static async cleanUp(left: { prefix: string; databaseUrl: string; workDir: string }) {
    await deleteStreams(left.prefix);
    await dropScratchDatabase(left.databaseUrl);
    await rm(left.workDir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    for (const s of this.services) if (s.child.exitCode === null) s.child.kill('SIGTERM');
    await Promise.race([
      Promise.all(this.services.map((s) => s.exited)),
      new Promise((r) => setTimeout(r, 5_000)),
    ]);
    for (const s of this.services) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await Promise.all(this.services.map((s) => s.exited));
    await deleteStreams(this.prefix, this.natsUrl);
    await this.dropDatabase();
    await rm(this.workDir, { recursive: true, force: true });
    const leaks = this.leakedSecrets();
    if (leaks.length > 0)
      throw new Error(`services wrote secrets to their output:\n  ${leaks.join('\n  ')}`);
  }
}

/** The status of a GET over HTTPS, without checking the certificate: only readiness is asked. */
function httpsStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

async function deleteStreams(prefix: string, natsUrl = NATS_URL): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const base = prefix.toUpperCase();
    for (const name of [`${base}_CMD`, `${base}_EVT`, `${base}_HEARTBEAT`])
      await jsm.streams.delete(name).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
