import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/**
 * A real etcd + kube-apiserver on 127.0.0.1 for one test file or benchmark, started from the
 * binaries in `KUBEBUILDER_ASSETS` (controller-runtime envtest's convention; `scripts/test.sh` sets
 * it from `../shared/tools/envtest/assets.sh`, `setup-envtest use 1.26.x -p path` gives the same
 * elsewhere).
 */
export interface KubeApiServer {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** PEM of the self-signed CA the API server signed its serving certificate with. */
  readonly ca: string;
  /** Bearer token of a `system:masters` user. */
  readonly token: string;
  /** A kubeconfig file for kubectl (`--kubeconfig`) and client-node's `KubeConfig.loadFromFile`. */
  readonly kubeconfigPath: string;
  /** The users of `KubeApiServerOptions.users`: their tokens and kubeconfig files. */
  readonly users: Readonly<Record<string, { token: string; kubeconfigPath: string }>>;
  /** With `KubeApiServerOptions.auditLog`: the audit log (JSON lines, audit.k8s.io/v1 Events). */
  readonly auditLogPath: string | undefined;
  /** The run's temporary folder (logs: kube-apiserver.log, etcd.log); removed by stop(). */
  readonly dir: string;
  /** Process group ids of etcd's and the API server's watchdogs (each group holds the binary). */
  readonly processGroups: { etcd: number; apiserver: number };
  /**
   * Stops kube-apiserver alone; etcd and its data stay. `SIGTERM` (default) is a rolling
   * restart's graceful stop: it refuses new connections at once, and its open watches end when
   * it exits (it is killed 10 s after TERM); `SIGKILL` is a crash: every connection drops at
   * once. Clients get connection errors until startApiServer().
   */
  stopApiServer(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /**
   * Starts kube-apiserver again after stopApiServer(): the same port, serving certificate, tokens
   * and etcd, so kubeconfigs, tokens and objects stay valid. Resolves once /readyz answers 200.
   */
  startApiServer(): Promise<void>;
  /** A client-node KubeConfig for the admin user. */
  kubeConfig(): KubeConfig;
  /** The last lines of the API server's log, for failure messages. */
  logTail(lines?: number): Promise<string>;
  /** Stops the API server, then etcd, and removes the run's folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface KubeApiServerOptions {
  /**
   * More token users besides `admin`, each in `system:masters` and with a kubeconfig of its own, so
   * that the audit log tells their requests apart (e.g. a controller's from a benchmark's).
   */
  users?: readonly string[];
  /**
   * Write an audit log: every request at the Metadata level (user, verb, resource, subresource,
   * object, response code; no bodies), one event per request when its response completes (and one
   * when a watch's response starts).
   */
  auditLog?: boolean;
}

/** One event per request (no RequestReceived stage), metadata only. */
const AUDIT_POLICY = [
  'apiVersion: audit.k8s.io/v1',
  'kind: Policy',
  'omitStages: ["RequestReceived"]',
  'rules:',
  '- level: Metadata',
  '',
].join('\n');

const SETUP_HINT =
  'Set KUBEBUILDER_ASSETS to a folder holding kube-apiserver and etcd: ' +
  '`export KUBEBUILDER_ASSETS=$(bash ../shared/tools/envtest/assets.sh)` beside the repository, ' +
  'or `setup-envtest use 1.26.x -p path` elsewhere (scripts/test.sh does the former for you).';

/** The envtest assets folder; fails loudly (never skips) when it is missing or incomplete. */
export function kubebuilderAssets(): string {
  const dir = process.env.KUBEBUILDER_ASSETS;
  if (!dir)
    throw new Error(`KUBEBUILDER_ASSETS is not set, so no kube-apiserver can start. ${SETUP_HINT}`);
  for (const binary of ['kube-apiserver', 'etcd']) {
    if (!existsSync(join(dir, binary)))
      throw new Error(`KUBEBUILDER_ASSETS=${dir} has no ${binary}. ${SETUP_HINT}`);
  }
  return dir;
}

/**
 * Runs the command given after `--` and stops it (TERM, then KILL after 10 s) when this script's
 * stdin closes: the test worker holds the other end of that pipe, so its death, however abrupt,
 * stops etcd and the API server too. Exits with the command's status when the command ends first.
 */
export const WATCHDOG = `
exec 3<&0
"$@" </dev/null & child=$!
cat <&3 >/dev/null & watcher=$!
wait -n "$child" "$watcher"
if kill -0 "$child" 2>/dev/null; then
  kill -TERM "$child"
  for _ in $(seq 1 100); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$child" 2>/dev/null
fi
kill "$watcher" 2>/dev/null
wait "$child"
`;

interface Supervised {
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

function supervise(binary: string, args: string[], logPath: string): Supervised {
  // Appends: an API server started again writes after its previous run.
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn('bash', ['-c', WATCHDOG, 'watchdog', binary, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group, so stop() can kill the watchdog and the binary together if needed.
    detached: true,
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      const timeout = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 15_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

/** GET /readyz with the token; resolves with the status code (0 when nothing answers yet). */
function readyz(url: string, ca: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/readyz`,
      { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function kubeconfigYaml(url: string, ca: string, token: string, user = 'admin'): string {
  const caData = Buffer.from(ca).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: envtest',
    `  cluster: {server: "${url}", certificate-authority-data: "${caData}"}`,
    'users:',
    `- name: ${user}`,
    `  user: {token: "${token}"}`,
    'contexts:',
    '- name: envtest',
    `  context: {cluster: envtest, user: ${user}}`,
    'current-context: envtest',
    '',
  ].join('\n');
}

async function startOnce(
  assets: string,
  dir: string,
  options: KubeApiServerOptions,
): Promise<KubeApiServer> {
  const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  await mkdir(join(dir, 'etcd'));
  await mkdir(join(dir, 'certs'));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const token = randomBytes(24).toString('hex');
  const userTokens = Object.fromEntries(
    (options.users ?? []).map((user) => [user, randomBytes(24).toString('hex')]),
  );
  await writeFile(
    join(dir, 'tokens.csv'),
    [
      `${token},admin,admin-uid,"system:masters"`,
      ...Object.entries(userTokens).map(([user, t]) => `${t},${user},${user}-uid,"system:masters"`),
      '',
    ].join('\n'),
  );
  const auditLogPath = options.auditLog ? join(dir, 'audit.log') : undefined;
  if (auditLogPath) await writeFile(join(dir, 'audit-policy.yaml'), AUDIT_POLICY);

  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  const etcd = supervise(
    join(assets, 'etcd'),
    [
      '--name=envtest',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=envtest=${peerUrl}`,
    ],
    join(dir, 'etcd.log'),
  );
  const apiserverArgs = [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, 'certs')}`,
    `--etcd-servers=${etcdUrl}`,
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--service-cluster-ip-range=10.96.0.0/24',
    '--endpoint-reconciler-type=none',
    '--profiling=false',
    '--anonymous-auth=false',
    ...(auditLogPath
      ? [
          `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
          `--audit-log-path=${auditLogPath}`,
          // Written as each request completes (not batched), never rotated.
          '--audit-log-mode=blocking',
          '--audit-log-maxsize=0',
        ]
      : []),
  ];
  const launchApiServer = () =>
    supervise(join(assets, 'kube-apiserver'), apiserverArgs, join(dir, 'kube-apiserver.log'));
  let apiserver = launchApiServer();

  const url = `https://127.0.0.1:${apiPort}`;
  const logTail = async (lines = 30) =>
    (await readFile(join(dir, 'kube-apiserver.log'), 'utf8').catch(() => ''))
      .split('\n')
      .slice(-lines)
      .join('\n');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await apiserver.stop();
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
  };

  const certPath = join(dir, 'certs', 'apiserver.crt');
  // waitFor retries on errors, so a process that dies is watched for separately.
  const exitedEarly = (name: string, proc: Supervised) =>
    proc.exited.then((code) => {
      throw new Error(`${name} exited with status ${code} before the API server was ready`);
    });
  /** Resolves with the serving certificate (the CA clients trust) once /readyz answers 200. */
  const ready = () =>
    Promise.race([
      waitFor(
        `kube-apiserver at ${url} to answer /readyz`,
        async () => {
          if (!existsSync(certPath)) return undefined;
          const pem = await readFile(certPath, 'utf8');
          return (await readyz(url, pem, token)) === 200 ? pem : undefined;
        },
        60_000,
        200,
      ),
      exitedEarly('etcd', etcd),
      exitedEarly('kube-apiserver', apiserver),
    ]);

  try {
    const ca = await ready();
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml(url, ca, token), { mode: 0o600 });
    const users: Record<string, { token: string; kubeconfigPath: string }> = {};
    for (const [user, userToken] of Object.entries(userTokens)) {
      const path = join(dir, `kubeconfig-${user}`);
      await writeFile(path, kubeconfigYaml(url, ca, userToken, user), { mode: 0o600 });
      users[user] = { token: userToken, kubeconfigPath: path };
    }
    return {
      url,
      ca,
      token,
      kubeconfigPath,
      users,
      auditLogPath,
      dir,
      get processGroups() {
        return { etcd: etcd.child.pid!, apiserver: apiserver.child.pid! };
      },
      async stopApiServer(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') {
        const running = apiserver.child.exitCode === null && apiserver.child.signalCode === null;
        if (signal === 'SIGKILL' && running) {
          // The watchdog's process group: the watchdog and kube-apiserver.
          process.kill(-apiserver.child.pid!, 'SIGKILL');
          await apiserver.exited;
        } else {
          await apiserver.stop();
        }
      },
      async startApiServer() {
        if (stopped) throw new Error('the API server was stopped for good (stop())');
        if (apiserver.child.exitCode === null && apiserver.child.signalCode === null)
          throw new Error('kube-apiserver is running: stopApiServer() first');
        apiserver = launchApiServer();
        // kube-apiserver keeps the serving certificate it generated in --cert-dir.
        const pem = await ready();
        if (pem !== ca)
          throw new Error('kube-apiserver came back with another serving certificate');
      },
      kubeConfig() {
        const config = new KubeConfig();
        config.loadFromFile(kubeconfigPath);
        return config;
      },
      logTail,
      stop,
    };
  } catch (error) {
    const tail = await logTail();
    await stop();
    if (error instanceof Error) error.message += `\nkube-apiserver log (last lines):\n${tail}`;
    throw error;
  }
}

/**
 * Starts etcd and kube-apiserver on free loopback ports in a fresh temporary folder and waits
 * until /readyz answers 200 (3–5 s). Call stop() in afterAll. A port taken between choosing it and
 * binding it makes a process exit early; that start is retried on new ports.
 */
export async function startKubeApiServer(
  options: KubeApiServerOptions = {},
): Promise<KubeApiServer> {
  const assets = kubebuilderAssets();
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'ingot-kube-'));
    try {
      return await startOnce(assets, dir, options);
    } catch (error) {
      const exitedEarly = error instanceof Error && /exited with status/.test(error.message);
      if (!exitedEarly || attempt === 3) throw error;
    }
  }
}

/**
 * Creates or updates CustomResourceDefinitions (server-side apply, with kubectl) and waits until
 * each is Established, so that objects of its kinds can be written right away.
 */
export async function installCrds(
  server: KubeApiServer,
  crds: readonly object[],
  timeoutMs = 30_000,
): Promise<void> {
  // kubectl sends the objects as they are; client-node's typed API would first need them turned
  // into its models, and silently drops `enum`, `default` and `x-kubernetes-*` otherwise.
  const documents = crds.map((crd) => `---\n${JSON.stringify(crd)}\n`).join('');
  await kubectl(
    server,
    ['apply', '--server-side', '--field-manager=ingot-tests', '-f', '-'],
    documents,
  );
  const names = crds.map((crd) => `crd/${(crd as { metadata: { name: string } }).metadata.name}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await kubectl(server, [
        'wait',
        '--for=condition=Established',
        `--timeout=${Math.max(1, Math.ceil((deadline - Date.now()) / 1000))}s`,
        ...names,
      ]);
      return;
    } catch (error) {
      // A CRD read before the API server set any condition makes kubectl wait fail at once
      // (".status.conditions accessor error: <nil>") instead of waiting: ask again.
      if (!/accessor error/.test((error as Error).message) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Runs the system's kubectl against the server with its kubeconfig; `input` goes to stdin (for
 * `-f -`). Rejects with kubectl's stderr when it exits non-zero.
 */
export function kubectl(
  server: Pick<KubeApiServer, 'kubeconfigPath'>,
  args: readonly string[],
  input?: string,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', server.kubeconfigPath, ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || error.message}`));
        else resolve({ stdout, stderr });
      },
    );
    child.stdin!.end(input ?? '');
  });
}
