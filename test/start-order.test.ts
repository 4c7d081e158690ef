import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Installation,
  startPrivateNats,
  startPrivatePostgres,
  waitFor,
  type PrivateServer,
} from '@ingot/lab';
import type { DoctorCheck, DoctorReport } from '@ingot/contracts';

const answers = async (attempt: () => Promise<unknown>) =>
  attempt().then(
    () => true,
    () => false,
  );
const postgresAnswers = (url: string) =>
  answers(async () => {
    const client = new pg.Client({ connectionString: url });
    // A server shutting down ends a connection it just accepted: a no, not a crash of the test.
    client.on('error', () => undefined);
    await client.connect();
    await client.end();
  });
const natsAnswers = (url: string) =>
  answers(async () => (await connect({ servers: url, reconnect: false })).close());

/**
 * Services need no start order: one started while PostgreSQL or NATS is down waits with backoff,
 * says what it waits for in its log and its heartbeat (so GET /v1/doctor names it), and starts by
 * itself once the server is back. The test's own PostgreSQL and NATS are stopped for it.
 */
describe('services started before their dependencies', () => {
  let nats: PrivateServer;
  let postgres: PrivateServer;
  let system: Installation;

  const doctorCheck = async (name: string): Promise<[DoctorCheck | undefined, DoctorReport]> => {
    const report = (await system.api<DoctorReport>('GET', '/v1/doctor')).body;
    return [report.checks.find((c) => c.name === name), report];
  };
  const outputOf = (name: string) =>
    system.services.find((s) => s.name === name)?.output.join('') ?? '';

  beforeAll(async () => {
    nats = await startPrivateNats();
    postgres = await startPrivatePostgres();
    system = await Installation.create(
      {
        LOG_LEVEL: 'info',
        INGOT_HEARTBEAT_INTERVAL_MS: '500',
        INGOT_DEPENDENCY_RETRY_MAX_MS: '1000',
      },
      undefined,
      { natsUrl: nats.url, databaseUrl: postgres.url },
    );
    await system.startService('api');
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    await nats?.stop();
    await postgres?.stop();
  });

  it('a conductor started while PostgreSQL is down waits, says so, and starts once it is back', async () => {
    const outage = postgres.restart('SIGTERM', 8_000);
    await waitFor('PostgreSQL to be down', async () => !(await postgresAnswers(postgres.url)));
    // Resolves once the conductor answers /healthz: after PostgreSQL came back.
    const starting = system.startService('conductor');
    await waitFor('the conductor to log that it waits', async () =>
      outputOf('conductor').includes('waiting for PostgreSQL at postgres://postgres@127.0.0.1:'),
    );
    const [waiting, report] = await waitFor(
      'the doctor to name what the conductor waits for',
      async () => {
        const [check, r] = await doctorCheck('service.conductor.default');
        return check?.status === 'error' && check.detail.includes('is waiting for PostgreSQL')
          ? ([check, r] as const)
          : undefined;
      },
    );
    expect(waiting.fix).toBe(
      "Start PostgreSQL or correct DATABASE_URL of the conductor of site 'default'; it keeps trying and starts by itself once the database answers.",
    );
    expect(report.checks.find((c) => c.name === 'postgresql')?.status).toBe('error');
    await outage;
    const conductor = await starting;
    expect(conductor.child.exitCode).toBeNull();
    expect(outputOf('conductor')).toMatch(/PostgreSQL at postgres:\/\/\S+ is available/);
    await waitFor('the doctor to see the conductor ready', async () => {
      const [check] = await doctorCheck('service.conductor.default');
      return check?.status === 'ok';
    });
  }, 90_000);

  it('a power worker started while NATS is down waits, says so, and starts once it is back', async () => {
    const outage = nats.restart('SIGTERM', 6_000);
    await waitFor('NATS to be down', async () => !(await natsAnswers(nats.url)));
    const starting = system.startService('power');
    await waitFor('the power worker to log that it waits', async () =>
      outputOf('power').includes(`waiting for NATS at ${nats.url}`),
    );
    await outage;
    const power = await starting;
    expect(power.child.exitCode).toBeNull();
    // NATS lost the heartbeats (a memory stream) in its restart; they come back by themselves.
    await waitFor('the doctor to see the power worker and the conductor ready', async () => {
      const [power] = await doctorCheck('service.power.default');
      const [conductor] = await doctorCheck('service.conductor.default');
      return power?.status === 'ok' && conductor?.status === 'ok';
    });
  }, 90_000);
});
