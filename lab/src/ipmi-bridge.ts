import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LAB_HOST } from './redfish-bmc.js';

/** The Python process that gives lab servers their IPMI endpoints (pyghmi's BMC framework). */
export const IPMI_BRIDGE_SCRIPT = fileURLToPath(new URL('../ipmi/ipmi_bridge.py', import.meta.url));

/**
 * Debian's interpreter, where python3-pyghmi installs; a python3 found first on PATH (pyenv, a
 * virtualenv) usually lacks it. INGOT_LAB_PYTHON overrides it.
 */
export const DEFAULT_IPMI_PYTHON = '/usr/bin/python3';

/** A Redfish BMC to put an IPMI endpoint in front of: a RedfishBmc or a LabServer. */
export interface IpmiTarget {
  name?: string;
  /** Base URL of the lab BMC, on 127.0.0.1. */
  url: string;
  systemPath: string;
  /** The BMC's account: the IPMI endpoint takes the same one, and the bridge logs in with it. */
  username: string;
  password: string;
  /** PEM of the certificate an HTTPS BMC presents; without it the bridge does not verify. */
  certificate?: string;
}

export interface IpmiBridgeOptions {
  /** Endpoint i listens on UDP basePort + i; ports the OS picks when absent. */
  basePort?: number;
  /** Interpreter with pyghmi; defaults to INGOT_LAB_PYTHON, else /usr/bin/python3. */
  python?: string;
  /** How long the bridge may take to bind every endpoint (default 15 s). */
  readyTimeoutMs?: number;
  /** How long the bridge waits for the lab BMC on each Redfish call (default 10 s). */
  redfishTimeoutMs?: number;
}

/** Where ipmitool reaches one server: `-I lanplus -H host -p port -U username -E`. */
export interface IpmiEndpoint {
  host: string;
  port: number;
  username: string;
  password: string;
}

export interface IpmiBridgeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** False when the bridge ended without stop(): every IPMI endpoint is gone. */
  expected: boolean;
}

export interface IpmiBridge {
  readonly pid: number | undefined;
  /** In the order of the targets. */
  readonly endpoints: readonly IpmiEndpoint[];
  /** The endpoint in front of a target, found by its Redfish URL. */
  endpointOf(target: Pick<IpmiTarget, 'url'>): IpmiEndpoint;
  /** Settles when the bridge process ends, whether by stop() or not. */
  readonly exited: Promise<IpmiBridgeExit>;
  /** What the bridge wrote to stderr lately (Redfish failures, tracebacks). */
  output(): string;
  stop(): Promise<void>;
}

const STDERR_KEPT = 16_384;
const STOP_GRACE_MS = 3_000;

/**
 * Starts one bridge process for all targets: each gets an IPMI 2.0 (RMCP+) endpoint on UDP
 * 127.0.0.1 whose chassis commands become Redfish calls on the target, so IPMI and Redfish act
 * on the same simulated machine.
 */
export async function startIpmiBridge(
  targets: readonly IpmiTarget[],
  opts: IpmiBridgeOptions = {},
): Promise<IpmiBridge> {
  if (targets.length === 0) throw new RangeError('an IPMI bridge needs at least one target');
  const python = opts.python ?? process.env.INGOT_LAB_PYTHON ?? DEFAULT_IPMI_PYTHON;
  const config = {
    endpoints: targets.map((target, index) => ({
      name: target.name ?? target.url,
      port: opts.basePort === undefined ? 0 : opts.basePort + index,
      username: target.username,
      password: target.password,
      redfish: {
        url: target.url,
        system_path: target.systemPath,
        username: target.username,
        password: target.password,
        ...(target.certificate ? { ca_pem: target.certificate } : {}),
      },
    })),
    redfish_timeout_s: (opts.redfishTimeoutMs ?? 10_000) / 1000,
  };

  const child = spawn(python, [IPMI_BRIDGE_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  // A bridge that died before reading its configuration must not crash this process with EPIPE.
  child.stdin.on('error', () => {});
  let stopping = false;
  const exited = new Promise<IpmiBridgeExit>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, expected: stopping }));
  });
  // The secrets travel on stdin, never on a command line; stdin stays open for the bridge's life.
  child.stdin.write(`${JSON.stringify(config)}\n`);

  const what = `the lab IPMI bridge (${python} ${IPMI_BRIDGE_SCRIPT})`;
  const said = () => (stderr.trim() ? `:\n${stderr.trim()}` : ' (it wrote nothing to stderr)');
  let ports: number[];
  try {
    ports = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${what} was not ready after ${readyTimeout(opts)} ms${said()}`)),
        readyTimeout(opts),
      );
      const settle = (result: { ports: number[] } | Error) => {
        clearTimeout(timer);
        lines.close();
        if (result instanceof Error) reject(result);
        else resolve(result.ports);
      };
      const lines = createInterface({ input: child.stdout });
      lines.once('line', (line) => settle(readyLine(line, targets.length, what)));
      child.once('error', (err) =>
        settle(
          new Error(
            `cannot run ${what}: ${err.message}. The lab's IPMI BMCs need Debian's python3 with ` +
              'python3-pyghmi (apt-get install python3-pyghmi), or INGOT_LAB_PYTHON naming an ' +
              'interpreter that has pyghmi',
          ),
        ),
      );
      void exited.then(({ code, signal }) =>
        settle(
          new Error(
            `${what} exited (${signal ?? `code ${code}`}) before its endpoints were ready${said()}`,
          ),
        ),
      );
    });
  } catch (err) {
    await terminate(child, exited);
    throw err;
  }
  // Anything else the bridge prints is not for us; keep the pipe drained.
  child.stdout.resume();

  const endpoints = ports.map((port, index) => ({
    host: LAB_HOST,
    port,
    username: targets[index]!.username,
    password: targets[index]!.password,
  }));
  const byUrl = new Map(targets.map((target, index) => [target.url, endpoints[index]!]));
  return {
    pid: child.pid,
    endpoints,
    exited,
    endpointOf(target) {
      const endpoint = byUrl.get(target.url);
      if (!endpoint) throw new Error(`the IPMI bridge has no endpoint for ${target.url}`);
      return endpoint;
    },
    output: () => stderr,
    async stop() {
      stopping = true;
      await terminate(child, exited);
    },
  };
}

function readyTimeout(opts: IpmiBridgeOptions): number {
  return opts.readyTimeoutMs ?? 15_000;
}

function readyLine(line: string, count: number, what: string): { ports: number[] } | Error {
  try {
    const ready = JSON.parse(line) as { ready?: unknown; endpoints?: { port?: unknown }[] };
    const ports = (ready.endpoints ?? []).map((e) => e.port);
    if (ready.ready === true && ports.length === count && ports.every(isPort)) {
      return { ports: ports as number[] };
    }
  } catch {
    // reported below
  }
  return new Error(`${what} announced itself with an unexpected line: ${line.slice(0, 300)}`);
}

const isPort = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65_536;

/** Closes the bridge's stdin (its signal to exit), then SIGTERM, then SIGKILL. */
async function terminate(
  child: ReturnType<typeof spawn>,
  exited: Promise<IpmiBridgeExit>,
): Promise<void> {
  if (child.pid === undefined) return; // it never started
  if (child.exitCode !== null || child.signalCode !== null) return void (await exited);
  child.stdin?.end();
  for (const signal of [undefined, 'SIGTERM', 'SIGKILL'] as const) {
    if (signal) child.kill(signal);
    const timer = new Promise<'late'>((resolve) =>
      setTimeout(() => resolve('late'), STOP_GRACE_MS).unref(),
    );
    if ((await Promise.race([exited, timer])) !== 'late') return;
  }
}
