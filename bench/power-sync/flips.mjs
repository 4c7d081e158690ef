// Out-of-band power changes at random moments: a system of the light host is switched (someone
// pressed the power button), then its node is read through the API until it shows the new power
// state. The delay between the two is what an operator waits for Ingot to notice.
import { clearTimeout, setTimeout } from 'node:timers';

const quantile = (sorted, q) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null;

export function summarizeDelays(flips) {
  const seen = flips.filter((f) => f.delayMs !== undefined).map((f) => f.delayMs);
  seen.sort((a, b) => a - b);
  return {
    flips: flips.length,
    seen: seen.length,
    unseen: flips.length - seen.length,
    p50_s: seen.length ? quantile(seen, 0.5) / 1000 : null,
    p90_s: seen.length ? quantile(seen, 0.9) / 1000 : null,
    max_s: seen.length ? seen[seen.length - 1] / 1000 : null,
  };
}

/**
 * Flips `perMinute` random systems a minute on average (exponential gaps, so the moments fall
 * anywhere in the sync's interval) and polls their nodes every `pollMs` until the API agrees.
 */
export function startFlips({ system, host, uuids, perMinute, pollMs, giveUpMs, random }) {
  const flips = [];
  const pending = new Set();
  const polls = new Set();
  let stopped = false;
  let timer;

  const schedule = () => {
    if (stopped || perMinute <= 0) return;
    const gapMs = (-Math.log(1 - random()) * 60_000) / perMinute;
    timer = setTimeout(() => {
      flipOne();
      schedule();
    }, gapMs);
  };

  const flipOne = () => {
    let index = Math.floor(random() * uuids.length);
    for (let tries = 0; pending.has(index) && tries < 100; tries++) {
      index = Math.floor(random() * uuids.length);
    }
    if (pending.has(index)) return;
    const to = host.stateOf(index).power === 'On' ? 'Off' : 'On';
    const expected = to === 'On' ? 'power on' : 'power off';
    host.setPower(index, to);
    const flip = { index, uuid: uuids[index], to, at: Date.now(), delayMs: undefined };
    flips.push(flip);
    pending.add(index);
    const poll = watch(flip, expected).finally(() => {
      pending.delete(index);
      polls.delete(poll);
    });
    polls.add(poll);
  };

  const watch = async (flip, expected) => {
    while (Date.now() - flip.at < giveUpMs) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      const res = await system.api('GET', `/v1/nodes/${flip.uuid}?fields=power_state`);
      if (res.status === 200 && res.body.power_state === expected) {
        flip.delayMs = Date.now() - flip.at;
        return;
      }
    }
  };

  schedule();
  return {
    flips,
    /** Stops flipping; resolves once every flip so far was seen (or given up on). */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all([...polls]);
      return flips;
    },
  };
}
