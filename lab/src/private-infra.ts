// A NATS server and a PostgreSQL cluster of a test's own (Debian's binaries, temporary
// directories, loopback ports), so that the test can restart them under a running installation.
// The machine's shared NATS and PostgreSQL serve every other test and are never restarted.
import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectNats } from '@nats-io/transport-node';
import { stablePort } from './free-port.js';
import { waitFor } from './wait-for.js';

const PG_BIN = process.env.INGOT_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const NATS_SERVER = process.env.INGOT_NATS_SERVER ?? 'nats-server';

/** A server the test owns: it can be killed and started again on the same port and data. */
export interface PrivateServer {
  url: string;
  /** Stops it (SIGKILL: as a crash; SIGTERM: as an orderly restart), waits `downMs`, starts it again. */
  restart(signal?: NodeJS.Signals, downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output.slice(-2000)}`)),
    );
  });
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/** `nats-server -js` on a loopback port, its JetStream store in a temporary directory. */
export async function startPrivateNats(): Promise<PrivateServer> {
  const port = await stablePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'ingot-nats-'));
  const url = `nats://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn(
      NATS_SERVER,
      ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child = started;
    await waitFor(`nats-server on port ${port}`, async () => {
      if (started.exitCode !== null) throw new Error(`nats-server exited ${started.exitCode}`);
      const nc = await connectNats({ servers: url, reconnect: false });
      await nc.close();
      return true;
    });
  };
  const kill = async (signal: NodeJS.Signals) => {
    if (!child) return;
    child.kill(signal);
    await exited(child);
    child = undefined;
  };
  await start();
  return {
    url,
    async restart(signal = 'SIGKILL', downMs = 1_000) {
      await kill(signal);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async stop() {
      await kill('SIGTERM');
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/**
 * A PostgreSQL cluster made by initdb in a temporary directory, listening on a loopback port, with
 * trust authentication for `postgres`. PostgreSQL refuses to run as root: as root, its programs
 * run as the `postgres` user that Debian's package creates.
 */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const port = await stablePort();
  const dir = await mkdtemp(join(tmpdir(), 'ingot-pg-'));
  const asRoot = process.getuid?.() === 0;
  const pgRun = (program: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(PG_BIN, program), ...args])
      : run(join(PG_BIN, program), args);
  if (asRoot) {
    const { uid, gid } = await postgresUser();
    await chown(dir, uid, gid);
  }
  const dataDir = join(dir, 'data');
  await pgRun('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () =>
    pgRun('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  const stopWith = (mode: 'immediate' | 'fast') =>
    pgRun('pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']);
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    async restart(signal = 'SIGKILL', downMs = 1_000) {
      // immediate: every backend killed, crash recovery at the next start, as after a SIGKILL.
      await stopWith(signal === 'SIGKILL' ? 'immediate' : 'fast');
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start(); // -w: returns once the server accepts connections
    },
    async stop() {
      await stopWith('immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).trim());
  return { uid: await id('-u'), gid: await id('-g') };
}
