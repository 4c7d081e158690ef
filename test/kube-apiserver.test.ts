import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@ingot/lab';
import { startKubeApiServer, WATCHDOG, type KubeApiServer } from '@ingot/lab/kube-apiserver';

const run = promisify(execFile);

/** True while any process of the group lives. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the test API server (etcd + kube-apiserver from KUBEBUILDER_ASSETS)', () => {
  let server: KubeApiServer;
  beforeAll(async () => {
    server = await startKubeApiServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves the admin token through client-node and kubectl with the kubeconfig', async () => {
    const core = server.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'probe' } } });
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('probe');

    const { stdout } = await run('kubectl', [
      '--kubeconfig',
      server.kubeconfigPath,
      'get',
      'namespace',
      'probe',
      '-o',
      'jsonpath={.metadata.name}',
    ]);
    expect(stdout).toBe('probe');
  });

  it('refuses requests without the token', async () => {
    const status = await new Promise<number>((resolve, reject) =>
      request(`${server.url}/api`, { ca: server.ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end(),
    );
    expect(status).toBe(401);
  });

  it('stops the API server and etcd, leaving no process behind', async () => {
    const groups = server.processGroups;
    expect(groupAlive(groups.apiserver)).toBe(true);
    expect(groupAlive(groups.etcd)).toBe(true);
    await server.stop();
    expect(groupAlive(groups.apiserver)).toBe(false);
    expect(groupAlive(groups.etcd)).toBe(false);
  });
});

describe('the watchdog that starts etcd and kube-apiserver', () => {
  it('stops its command when the process that started it is killed', async () => {
    // A stand-in test worker: starts a long command under the watchdog, reports its group, and
    // is then killed with SIGKILL, so nothing of it runs any cleanup.
    const worker = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const w = spawn('bash', ['-c', process.env.WATCHDOG, 'watchdog', 'sleep', '600'],
           { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
         console.log(w.pid);
         setInterval(() => {}, 1000);`,
      ],
      { env: { ...process.env, WATCHDOG }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pgid = await new Promise<number>((resolve) =>
      worker.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    await waitFor('sleep to run under the watchdog', async () => {
      const { stdout } = await run('pgrep', ['-g', String(pgid), 'sleep']).catch(() => ({
        stdout: '',
      }));
      return stdout.trim() !== '';
    });
    worker.kill('SIGKILL');
    await waitFor('the watchdog and its command to stop', async () => !groupAlive(pgid), 10_000);
  });
});

describe('the test API server with more users and an audit log', () => {
  let server: KubeApiServer;
  beforeAll(async () => {
    server = await startKubeApiServer({ users: ['controller'], auditLog: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("tells a user's requests from the admin's in the audit log, one event per request", async () => {
    const asController = new KubeConfig();
    asController.loadFromFile(server.users.controller!.kubeconfigPath);
    await asController
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: 'by-controller' } } });
    await server
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: 'by-admin' } } });

    const creates = (await readFile(server.auditLogPath!, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((e) => e.verb === 'create' && e.objectRef?.resource === 'namespaces')
      .map((e) => `${e.user.username} ${e.objectRef.name} ${e.stage} ${e.responseStatus.code}`);
    expect(creates).toEqual(
      expect.arrayContaining([
        'controller by-controller ResponseComplete 201',
        'admin by-admin ResponseComplete 201',
      ]),
    );
    expect(creates.filter((c) => c.includes('by-controller'))).toHaveLength(1);
  });
});
