import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bus } from '@ingot/bus';
import { siteToken } from '@ingot/bus';
import type { DoctorCheck } from '@ingot/contracts';
import { MIGRATIONS_FOLDER, type Db } from '@ingot/store';
import { isFresh, siteName, type SeenHeartbeat } from './heartbeats.js';
import { SITE_SERVICES } from './service-checks.js';

const QUERY_TIMEOUT_MS = 3_000;

const withTimeout = <T>(promise: Promise<T>, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`${what} did not answer within ${QUERY_TIMEOUT_MS / 1000} s`)),
        QUERY_TIMEOUT_MS,
      ).unref(),
    ),
  ]);

const reason = (error: unknown) => {
  const e = error as { code?: string; message?: string; errors?: { message?: string }[] };
  return e?.message || e?.errors?.[0]?.message || e?.code || String(error);
};

/** PostgreSQL answers, and the sites that have nodes (which need their services). */
export async function databaseCheck(db: Db): Promise<{ check: DoctorCheck; nodeSites: string[] }> {
  const base = { name: 'postgresql', title: 'PostgreSQL reachable' };
  try {
    const result = await withTimeout(
      db.execute('SELECT DISTINCT conductor_group FROM nodes'),
      'PostgreSQL',
    );
    const nodeSites = result.rows.map((r) =>
      String((r as { conductor_group: unknown }).conductor_group ?? ''),
    );
    return {
      check: { ...base, status: 'ok', detail: `answers; nodes are in ${nodeSites.length} site(s)` },
      nodeSites,
    };
  } catch (error) {
    return {
      check: {
        ...base,
        status: 'error',
        detail: `the API cannot query PostgreSQL: ${reason(error)}`,
        fix: 'Start PostgreSQL or correct DATABASE_URL of the services; they wait for it and resume by themselves.',
      },
      nodeSites: [],
    };
  }
}

/** The migrations this build ships (drizzle's journal) against those the database applied. */
export async function migrationsCheck(db: Db): Promise<DoctorCheck> {
  const base = { name: 'postgresql.migrations', title: 'Database migrations current' };
  try {
    const journal = JSON.parse(
      await readFile(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
    ) as {
      entries: { when: number; tag: string }[];
    };
    const result = await withTimeout(
      db.execute('SELECT created_at FROM public.__drizzle_migrations'),
      'PostgreSQL',
    );
    const applied = new Set(
      result.rows.map((r) => Number((r as { created_at: unknown }).created_at)),
    );
    const missing = journal.entries.filter((e) => !applied.has(e.when));
    const newest = Math.max(0, ...journal.entries.map((e) => e.when));
    const unknown = [...applied].filter((when) => when > newest).length;
    if (missing.length > 0)
      return {
        ...base,
        status: 'error',
        detail: `${missing.length} migration(s) not applied: ${missing.map((e) => e.tag).join(', ')}`,
        fix: "Run `npm run db:migrate` with the services' DATABASE_URL, or restart any service (each migrates at start).",
      };
    if (unknown > 0)
      return {
        ...base,
        status: 'warning',
        detail: `the database has ${unknown} migration(s) newer than this API knows`,
        fix: 'Upgrade the API to the release the other services run.',
      };
    return { ...base, status: 'ok', detail: `all ${journal.entries.length} migrations applied` };
  } catch (error) {
    return {
      ...base,
      status: 'error',
      detail: `could not compare migrations: ${reason(error)}`,
      fix: "Make PostgreSQL reachable, then run `npm run db:migrate` with the services' DATABASE_URL.",
    };
  }
}

/**
 * NATS answers with JetStream, the command and event streams exist, and every site whose
 * services beat has its work-queue consumers (created by those services at start).
 */
export async function busChecks(
  bus: Bus,
  seen: SeenHeartbeat[],
  now: Date,
): Promise<DoctorCheck[]> {
  const streams = { name: 'nats.streams', title: 'NATS reachable with the Ingot streams' };
  const subjects = bus.subjects;
  let streamProblem: string | undefined;
  try {
    for (const stream of [subjects.commandStream, subjects.eventStream])
      await withTimeout(bus.jsm.streams.info(stream), 'NATS').catch((error: unknown) => {
        throw new Error(`stream ${stream}: ${reason(error)}`);
      });
  } catch (error) {
    streamProblem = reason(error);
  }
  if (streamProblem)
    return [
      {
        ...streams,
        status: 'error',
        detail: bus.nc.isClosed() ? 'the API has no NATS connection' : streamProblem,
        fix: 'Start NATS with JetStream (nats-server -js) at NATS_URL; the services reconnect and recreate the streams by themselves.',
      },
    ];
  const checks: DoctorCheck[] = [
    {
      ...streams,
      status: 'ok',
      detail: `${subjects.commandStream} and ${subjects.eventStream} in place`,
    },
  ];
  const sites = [
    ...new Set(
      seen
        .filter((s) => isFresh(s, now) && s.heartbeat.service !== 'api')
        .map((s) => s.heartbeat.site),
    ),
  ].sort();
  for (const site of sites) {
    const missing: string[] = [];
    const backlog: string[] = [];
    for (const service of SITE_SERVICES) {
      const durable = `${service}-${siteToken(site)}`;
      const info = await withTimeout(
        bus.jsm.consumers.info(subjects.commandStream, durable),
        'NATS',
      ).catch(() => undefined);
      if (!info) missing.push(durable);
      else if (info.num_pending > 100)
        backlog.push(`${durable}: ${info.num_pending} commands waiting`);
    }
    const base = {
      name: `nats.consumers.${siteName(site)}`,
      title: `Work queues of site '${siteName(site)}' consumed`,
    };
    if (missing.length > 0)
      checks.push({
        ...base,
        status: 'error',
        detail: `no consumer ${missing.join(', ')} on ${subjects.commandStream}: commands for them wait`,
        fix: `Start the missing service(s) of site '${siteName(site)}'; each creates its consumer at start.`,
      });
    else if (backlog.length > 0)
      checks.push({
        ...base,
        status: 'warning',
        detail: backlog.join('; '),
        fix: `Add replicas of the busy service(s) of site '${siteName(site)}' or wait for the backlog to drain.`,
      });
    else
      checks.push({
        ...base,
        status: 'ok',
        detail: `${SITE_SERVICES.map((s) => `${s}-${siteToken(site)}`).join(', ')} in place`,
      });
  }
  return checks;
}
