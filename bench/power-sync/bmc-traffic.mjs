// The light host's request count, read every second: the BMC requests per minute, and the sync
// passes (bursts of requests with quiet seconds between them, as each interval's sync reads every
// node once), with how long each pass took and how fast it read.
import { clearInterval, setInterval } from 'node:timers';

export function startTrafficRecorder(host, everyMs = 1_000) {
  const series = [{ t: Date.now(), total: host.requestCount }];
  const timer = setInterval(
    () => series.push({ t: Date.now(), total: host.requestCount }),
    everyMs,
  );
  return {
    series,
    stop() {
      clearInterval(timer);
      series.push({ t: Date.now(), total: host.requestCount });
      return series;
    },
  };
}

/**
 * Bursts of requests in the series, split where `quietS` seconds passed without any: a pass of
 * the sync, unless the sync never rests (it takes the whole interval or more), in which case the
 * whole run is one pass.
 */
export function syncPasses(series, quietS = 3) {
  const passes = [];
  let current;
  let quiet = 0;
  for (let i = 1; i < series.length; i++) {
    const requests = series[i].total - series[i - 1].total;
    if (requests > 0) {
      current ??= { start: series[i - 1].t, end: series[i].t, requests: 0 };
      current.end = series[i].t;
      current.requests += requests;
      quiet = 0;
    } else if (current && ++quiet >= quietS) {
      passes.push(current);
      current = undefined;
    }
  }
  if (current) passes.push({ ...current, unfinished: true });
  return passes.map((p) => ({
    start: new Date(p.start).toISOString(),
    duration_s: (p.end - p.start) / 1000,
    requests: p.requests,
    requests_per_s: Math.round(p.requests / Math.max(1, (p.end - p.start) / 1000)),
    ...(p.unfinished ? { unfinished: true } : {}),
  }));
}
