import type { DoctorCheck } from '@ingot/contracts';
import { isFresh, siteName, type SeenHeartbeat } from './heartbeats.js';

/** The services every site with nodes needs: each has a work queue of its site. */
export const SITE_SERVICES = ['conductor', 'power', 'imagecache', 'inspector'] as const;

/** What environment variable names a service's site, for the fix sentences. */
const siteSetting = (site: string) => (site ? `INGOT_SITE=${site}` : 'INGOT_SITE unset');

/**
 * One check per service type and site: alive when one of its instances sent a fresh heartbeat
 * saying it is ready. Sites are those of the nodes and those services announce.
 */
export function serviceChecks(
  seen: SeenHeartbeat[],
  nodeSites: string[],
  now: Date,
): DoctorCheck[] {
  const expected = new Map<string, Set<string>>();
  const expect = (site: string, service: string) => {
    const key = `${service}\u0000${site}`;
    if (!expected.has(key)) expected.set(key, new Set());
  };
  expect('', 'api');
  for (const site of nodeSites) for (const service of SITE_SERVICES) expect(site, service);
  for (const s of seen) {
    if (s.heartbeat.service === 'api') continue;
    expect(s.heartbeat.site, s.heartbeat.service);
    // A site one of its workers announced needs the others too, or its commands wait forever.
    if ((SITE_SERVICES as readonly string[]).includes(s.heartbeat.service))
      for (const service of SITE_SERVICES) expect(s.heartbeat.site, service);
  }
  return [...expected.keys()].sort().map((key) => {
    const [service, site] = key.split('\u0000') as [string, string];
    const instances = seen.filter(
      (s) => s.heartbeat.service === service && s.heartbeat.site === site,
    );
    return serviceCheck(service, site, instances, now);
  });
}

function serviceCheck(
  service: string,
  site: string,
  instances: SeenHeartbeat[],
  now: Date,
): DoctorCheck {
  const where = service === 'api' ? 'the API' : `the ${service} of site '${siteName(site)}'`;
  const base = {
    name: service === 'api' ? 'service.api' : `service.${service}.${siteName(site)}`,
    title: service === 'api' ? 'API alive' : `${service} of site '${siteName(site)}' alive`,
  };
  const fresh = instances.filter((s) => isFresh(s, now));
  const ready = fresh.filter((s) => s.heartbeat.state === 'ready');
  if (ready.length > 0)
    return {
      ...base,
      status: 'ok',
      detail: `${ready.length} instance${ready.length > 1 ? 's' : ''} ready (${ready.map((s) => s.heartbeat.instance).join(', ')})`,
    };
  const waiting = fresh.find((s) => s.heartbeat.state === 'waiting');
  if (waiting)
    return {
      ...base,
      status: 'error',
      detail: `${waiting.heartbeat.instance} is waiting for ${waiting.heartbeat.waiting_for ?? 'a dependency'}`,
      fix: waiting.heartbeat.waiting_for?.startsWith('PostgreSQL')
        ? `Start PostgreSQL or correct DATABASE_URL of ${where}; it keeps trying and starts by itself once the database answers.`
        : `Start what ${where} waits for; it keeps trying and starts by itself once it answers.`,
    };
  const starting = fresh.find((s) => s.heartbeat.state === 'starting');
  if (starting)
    return {
      ...base,
      status: 'warning',
      detail: `${starting.heartbeat.instance} is starting (since ${starting.heartbeat.started_at})`,
      fix: `Wait a few seconds and run the doctor again; if ${where} stays starting, read its log.`,
    };
  const last = instances.sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime())[0];
  const detail = !last
    ? `no heartbeat from ${where} in the last hour`
    : last.heartbeat.state === 'stopped'
      ? `${where} stopped at ${last.receivedAt.toISOString()} (${last.heartbeat.instance}) and no other instance runs`
      : `no heartbeat from ${where} since ${last.receivedAt.toISOString()} (${last.heartbeat.instance}): it died or lost NATS`;
  return {
    ...base,
    status: 'error',
    detail,
    fix:
      service === 'api'
        ? 'Start the API service with the same NATS_URL and INGOT_BUS_PREFIX as the others.'
        : `Start the ${service} service for site '${siteName(site)}' (${siteSetting(site)}) with the same NATS_URL and INGOT_BUS_PREFIX as the API.`,
  };
}

/** Each service's clock against the NATS server's, from when a heartbeat was sent and received. */
export function clockSkewCheck(seen: SeenHeartbeat[], now: Date): DoctorCheck {
  const base = { name: 'clock.skew', title: 'Service clocks agree' };
  const fresh = seen.filter((s) => isFresh(s, now));
  if (fresh.length === 0)
    return {
      ...base,
      status: 'warning',
      detail: 'no fresh heartbeat to compare clocks with',
      fix: 'Start the services; their heartbeats carry their clocks.',
    };
  const skews = fresh.map((s) => ({
    who: `${s.heartbeat.service}@${s.heartbeat.instance}`,
    ms: new Date(s.heartbeat.sent_at).getTime() - s.receivedAt.getTime(),
  }));
  const worst = skews.reduce((a, b) => (Math.abs(b.ms) > Math.abs(a.ms) ? b : a));
  const detail = `largest offset from the NATS server's clock: ${worst.who} ${(worst.ms / 1000).toFixed(2)} s (${fresh.length} services compared)`;
  if (Math.abs(worst.ms) <= 2_000) return { ...base, status: 'ok', detail };
  return {
    ...base,
    status: Math.abs(worst.ms) > 60_000 ? 'error' : 'warning',
    detail,
    fix: `Synchronise the clock of ${worst.who}'s host with NTP (chrony or systemd-timesyncd): leases and token expiry compare times across services.`,
  };
}
