import type { DoctorCheck, DoctorReport, DoctorStatus } from '@ingot/contracts';
import type { ApiDeps } from '../deps.js';
import { readHeartbeats, type SeenHeartbeat } from './heartbeats.js';
import { busChecks, databaseCheck, migrationsCheck } from './infrastructure-checks.js';
import { diskBudgetChecks, ipxeChecks, nodeFacingUrlChecks } from './node-facing-checks.js';
import { clockSkewCheck, serviceChecks } from './service-checks.js';

const RANK: Record<DoctorStatus, number> = { ok: 0, warning: 1, error: 2 };

/** Every check of GET /v1/doctor, worst first; the report's status is the worst of them. */
export async function runDoctor(deps: Pick<ApiDeps, 'db' | 'bus'>): Promise<DoctorReport> {
  const now = new Date();
  let seen: SeenHeartbeat[] = [];
  let heartbeatProblem: DoctorCheck | undefined;
  try {
    seen = await readHeartbeats(deps.bus);
  } catch (error) {
    heartbeatProblem = {
      name: 'nats.heartbeats',
      title: 'Service heartbeats readable',
      status: 'error',
      detail: `could not read the heartbeat stream: ${(error as Error).message}`,
      fix: 'Start NATS with JetStream at NATS_URL; the services publish their heartbeats again by themselves.',
    };
  }
  const [database, migrations, bus, urls, ipxe] = await Promise.all([
    databaseCheck(deps.db),
    migrationsCheck(deps.db),
    busChecks(deps.bus, seen, now),
    nodeFacingUrlChecks(seen, now),
    ipxeChecks(seen, now),
  ]);
  const checks = [
    database.check,
    migrations,
    ...bus,
    ...(heartbeatProblem ? [heartbeatProblem] : []),
    ...serviceChecks(seen, database.nodeSites, now),
    ...urls,
    ...ipxe,
    ...diskBudgetChecks(seen, now),
    clockSkewCheck(seen, now),
  ];
  const status = checks.reduce<DoctorStatus>(
    (worst, c) => (RANK[c.status] > RANK[worst] ? c.status : worst),
    'ok',
  );
  return { status, checked_at: now.toISOString(), checks };
}
