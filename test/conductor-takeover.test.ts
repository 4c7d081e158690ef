import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, Installation, waitFor } from '@ingot/lab';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

describe('conductor failover', () => {
  let system: Installation;
  let fleet: Fleet;

  beforeAll(async () => {
    // Slow BMCs keep the nodes in `verifying` long enough to kill the conductor mid-step.
    fleet = await startFleet({ count: 8, responseDelayMs: 1_500 });
    system = await Installation.create({
      INGOT_LEASE_TTL_MS: '3000',
      INGOT_SWEEP_INTERVAL_MS: '500',
      INGOT_ACK_WAIT_MS: '5000',
    });
    await system.startService('power');
    await system.startService('conductor', { INGOT_CONDUCTOR_ID: 'conductor-a' }, 'conductor-a');
    await system.startService('api');
  });
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  it('a conductor killed while nodes are verifying: another of the same site takes them over after lease expiry and all reach manageable', async () => {
    const uuids = await Promise.all(fleet.servers.map((server) => enroll(system, server)));
    await Promise.all(uuids.map((uuid) => setProvision(system, uuid, 'manage')));
    await waitFor('every node verifying under conductor-a', async () => {
      const nodes = await Promise.all(uuids.map((uuid) => getNode(system, uuid)));
      return nodes.every(
        (n) => n.provision_state === 'verifying' && n.reservation === 'conductor-a',
      );
    });

    await system.kill('conductor-a', 'SIGKILL');
    const killedAt = Date.now();
    for (const uuid of uuids)
      expect((await getNode(system, uuid)).provision_state).toBe('verifying');
    await system.startService('conductor', { INGOT_CONDUCTOR_ID: 'conductor-b' }, 'conductor-b');

    const nodes = await Promise.all(
      uuids.map((uuid) => waitForState(system, uuid, 'manageable', 45_000)),
    );
    // The lease is released right after the last write of the step.
    await waitFor('every lease released', async () =>
      (await Promise.all(uuids.map((uuid) => getNode(system, uuid)))).every(
        (n) => n.reservation === null,
      ),
    );
    for (const node of nodes) {
      expect(node.last_error).toBeNull();
      const history = (await system.api('GET', `/v1/nodes/${node.uuid}/history`)).body
        .history as any[];
      const done = history.find((h) => h.from_state === 'verifying' && h.to_state === 'manageable');
      expect(done.conductor).toBe('conductor-b');
      // conductor-b could only act once conductor-a's lease had expired.
      expect(Date.parse(done.created_at)).toBeGreaterThan(killedAt);
      expect(history.filter((h) => h.to_state === 'manageable')).toHaveLength(1);
    }
  });
});
