import type { Bus } from '@ingot/bus';
import type { ServiceHeartbeat } from '@ingot/contracts';

/** A service instance's last heartbeat and when the NATS server received it (its own clock). */
export interface SeenHeartbeat {
  heartbeat: ServiceHeartbeat;
  receivedAt: Date;
}

const decoder = new TextDecoder();

/** The last heartbeat of every instance the heartbeat stream remembers (an hour's worth). */
export async function readHeartbeats(bus: Bus): Promise<SeenHeartbeat[]> {
  const stream = bus.subjects.heartbeatStream;
  let subjects: string[];
  try {
    const info = await bus.jsm.streams.info(stream, { subjects_filter: bus.subjects.heartbeats() });
    subjects = Object.keys(info.state.subjects ?? {});
  } catch (error) {
    // No service has beaten yet on this bus: no stream.
    if (/not found/i.test(String(error))) return [];
    throw error;
  }
  const found = await Promise.all(
    subjects.map((subject) =>
      bus.jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null),
    ),
  );
  const seen: SeenHeartbeat[] = [];
  for (const message of found) {
    if (!message) continue;
    try {
      const heartbeat = JSON.parse(decoder.decode(message.data)) as ServiceHeartbeat;
      if (typeof heartbeat.service === 'string' && typeof heartbeat.sent_at === 'string')
        seen.push({ heartbeat, receivedAt: message.time });
    } catch {
      // Not a heartbeat of ours; ignored.
    }
  }
  return seen;
}

/** A heartbeat is fresh while fewer than three beats were missed (and a little slack). */
export function isFresh(seen: SeenHeartbeat, now: Date): boolean {
  return (
    seen.heartbeat.state !== 'stopped' &&
    now.getTime() - seen.receivedAt.getTime() <= 3 * seen.heartbeat.interval_ms + 2_000
  );
}

/** The site as people say it: the empty conductor_group is the site `default`. */
export const siteName = (site: string): string => site || 'default';
