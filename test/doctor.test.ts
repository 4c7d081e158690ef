import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, Installation, waitFor } from '@ingot/lab';
import type { DoctorReport } from '@ingot/contracts';
import { runIngot } from './support/ingot-cli.js';

async function keep(name: string, text: string): Promise<void> {
  const dir = join(process.cwd(), 'test-output', 'ingot-cli');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), text);
}

/**
 * `ingot doctor` and GET /v1/doctor on a real installation: all green when it is healthy; a
 * stopped image cache and a wrong agent API URL named with their fix.
 */
describe('ingot doctor', () => {
  let system: Installation;
  let env: Record<string, string>;

  const report = async () => (await system.api<DoctorReport>('GET', '/v1/doctor')).body;
  const notOk = (r: DoctorReport) =>
    r.checks.filter((c) => c.status !== 'ok').map((c) => `${c.name}: ${c.detail}`);
  /** The doctor settles once every service's heartbeat says ready. */
  const untilHealthy = () =>
    waitFor('the doctor to find the installation healthy', async () => {
      const r = await report();
      if (r.status !== 'ok') throw new Error(notOk(r).join('; '));
      return r;
    });

  beforeAll(async () => {
    system = await Installation.start({
      LOG_LEVEL: 'info',
      INGOT_HEARTBEAT_INTERVAL_MS: '500',
      // The machine's free space must hold the budget, or the doctor rightly warns.
      INGOT_IMAGECACHE_BUDGET_BYTES: String(256 * 1024 * 1024),
    });
    env = { INGOT_URL: system.apiUrl };
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  });

  it('reports all green on a healthy installation and exits 0', async () => {
    const healthy = await untilHealthy();
    const names = healthy.checks.map((c) => c.name);
    for (const name of [
      'postgresql',
      'postgresql.migrations',
      'nats.streams',
      'nats.consumers.default',
      'service.api',
      'service.conductor.default',
      'service.power.default',
      'service.imagecache.default',
      'service.inspector.default',
      'url.agent_api.default',
      'url.imagecache.default',
      'ipxe.default',
      'clock.skew',
    ])
      expect(names).toContain(name);
    expect(names.some((n) => n.startsWith('imagecache.disk.default.'))).toBe(true);
    expect(healthy.checks.every((c) => c.fix === undefined)).toBe(true);

    const run = await runIngot(['doctor'], env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('✔ PostgreSQL reachable: answers');
    expect(run.stdout).toContain(
      `✔ Agent API URL of site 'default' reachable: ${system.apiUrl} answers as the Ingot API`,
    );
    expect(run.stdout).toMatch(/\nOK: 0 error, 0 warning, \d+ ok/);
    expect(run.stdout).not.toContain('✘');
    await keep('doctor-healthy.txt', run.stdout);
  }, 60_000);

  it('names a stopped image cache and how to bring it back, and exits 1', async () => {
    await system.kill('imagecache', 'SIGTERM');
    const run = await runIngot(['doctor'], env);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(
      /✘ imagecache of site 'default' alive: the imagecache of site 'default' stopped at \S+ \(\S+\) and no other instance runs\n {4}fix: Start the imagecache service for site 'default' \(INGOT_SITE unset\) with the same NATS_URL and INGOT_BUS_PREFIX as the API\./,
    );
    expect(run.stdout).toMatch(/\nERROR: [1-9]\d* error/);
    await keep('doctor-imagecache-stopped.txt', run.stdout);

    const json = await runIngot(['doctor', '--json'], env);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as DoctorReport;
    expect(parsed.status).toBe('error');
    const check = parsed.checks.find((c) => c.name === 'service.imagecache.default');
    expect(check).toMatchObject({
      status: 'error',
      fix: expect.stringContaining('Start the imagecache service'),
    });

    await system.startService('imagecache');
    await untilHealthy();
  }, 90_000);

  it('names a wrong agent API URL handed to nodes, and the setting that fixes it', async () => {
    const wrongUrl = `http://127.0.0.1:${await freePort()}`;
    await system.kill('conductor', 'SIGTERM');
    await system.startService('conductor', { INGOT_AGENT_API_URL: wrongUrl });
    const found = await waitFor('the doctor to see the new conductor', async () => {
      const r = await report();
      const conductor = r.checks.find((c) => c.name === 'service.conductor.default');
      return conductor?.status === 'ok' &&
        r.checks.some((c) => c.name === 'url.agent_api.default' && c.detail.startsWith(wrongUrl))
        ? r
        : undefined;
    });
    expect(found.status).toBe('error');
    const run = await runIngot(['doctor'], env);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain(
      `✘ Agent API URL of site 'default' reachable: ${wrongUrl}, which the conductors of site 'default' hand to nodes, did not answer as the API: ECONNREFUSED`,
    );
    expect(run.stdout).toContain(
      "fix: Set INGOT_AGENT_API_URL of the conductors of site 'default' (and INGOT_API_PUBLIC_URL of its image caches) to the URL at which nodes reach the API, then restart them.",
    );
    // The image caches' iPXE scripts now send agents elsewhere than the conductors' ISOs.
    expect(run.stdout).toContain(
      `! iPXE and kernel settings of site 'default' consistent: iPXE scripts send agents to ${system.apiUrl}, the conductors' boot ISOs to ${wrongUrl}`,
    );
    await keep('doctor-wrong-agent-url.txt', run.stdout);
  }, 90_000);
});
