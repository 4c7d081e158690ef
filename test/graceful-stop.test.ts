import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, Installation, waitFor } from '@ingot/lab';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

const GRACE_MS = 2_000;
/** Left at its default: a conductor that only let its leases expire would keep the nodes this long. */
const LEASE_TTL_MS = 30_000;
/**
 * How long the BMCs take to answer while conductor-a holds the nodes: well past the grace period,
 * within the power worker's 10 s BMC timeout (conductor-b's calls queue behind these answers).
 */
const SLOW_BMC_MS = 8_000;

/**
 * A conductor asked to stop (SIGTERM) while its steps wait on slow BMCs: it exits within its grace
 * period, hands the commands back and releases the leases, and the other conductor of the site
 * takes the nodes at once, not after the lease TTL.
 */
describe('a stopping conductor', () => {
  let system: Installation;
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ count: 3 });
    system = await Installation.create({
      INGOT_LEASE_TTL_MS: String(LEASE_TTL_MS),
      INGOT_STOP_GRACE_MS: String(GRACE_MS),
      INGOT_SWEEP_INTERVAL_MS: '500',
      LOG_LEVEL: 'info',
    });
    await system.startService('power');
    await system.startService('conductor', { INGOT_CONDUCTOR_ID: 'conductor-a' }, 'conductor-a');
    await system.startService('api');
  });
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  it('exits within its grace period and another conductor resumes its nodes at once', async () => {
    const uuids = await Promise.all(fleet.servers.map((server) => enroll(system, server)));
    for (const server of fleet.servers) server.bmc.responseDelayMs = SLOW_BMC_MS;
    await Promise.all(uuids.map((uuid) => setProvision(system, uuid, 'manage')));
    await waitFor('every node verifying under conductor-a', async () => {
      const nodes = await Promise.all(uuids.map((uuid) => getNode(system, uuid)));
      return nodes.every(
        (n) => n.provision_state === 'verifying' && n.reservation === 'conductor-a',
      );
    });
    await system.startService('conductor', { INGOT_CONDUCTOR_ID: 'conductor-b' }, 'conductor-b');
    for (const server of fleet.servers) server.bmc.responseDelayMs = 0;

    const stopping = system.service('conductor-a');
    const askedAt = Date.now();
    stopping.child.kill('SIGTERM');
    expect(await stopping.exited).toBe(0);
    const exitedAt = Date.now();
    // The grace period, then releasing leases and closing connections (the BMC answers are not awaited).
    expect(exitedAt - askedAt).toBeLessThan(GRACE_MS + 3_000);
    const logged = stopping.output.join('');
    expect(logged).toMatch(/handed 3 unfinished conductor command\(s\) back/);
    expect(logged).toMatch(/released the leases still held/);

    await waitFor(
      'conductor-b holding or done with every node',
      async () => {
        const nodes = await Promise.all(uuids.map((uuid) => getNode(system, uuid)));
        return nodes.every(
          (n) => n.reservation === 'conductor-b' || n.provision_state === 'manageable',
        );
      },
      5_000,
    );
    // Well before conductor-a's leases would have expired.
    expect(Date.now() - exitedAt).toBeLessThan(LEASE_TTL_MS / 3);

    const nodes = await Promise.all(
      uuids.map((uuid) => waitForState(system, uuid, 'manageable', 20_000)),
    );
    for (const node of nodes) {
      expect(node.last_error).toBeNull();
      const history = (await system.api('GET', `/v1/nodes/${node.uuid}/history`)).body.history as {
        from_state: string;
        to_state: string;
        conductor: string;
      }[];
      const done = history.filter((h) => h.to_state === 'manageable');
      expect(done).toHaveLength(1);
      expect(done[0]!.conductor).toBe('conductor-b');
    }
  });
});
