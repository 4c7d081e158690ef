import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, Installation } from '@ingot/lab';
import {
  enroll,
  getNode,
  setPower,
  setProvision,
  waitForPower,
  waitForState,
} from './support/nodes.js';

describe('sites (conductor groups)', () => {
  let system: Installation;
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ count: 2 });
    system = await Installation.start();
  });
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  it("a node of another site waits for that site's workers and is handled by them only", async () => {
    const [home, remote] = fleet.servers as [any, any];
    const homeUuid = await enroll(system, home);
    const remoteUuid = await enroll(system, remote, { conductor_group: 'Edge-1' });
    expect((await getNode(system, remoteUuid)).conductor_group).toBe('edge-1');

    await setProvision(system, homeUuid, 'manage');
    await setProvision(system, remoteUuid, 'manage');
    await waitForState(system, homeUuid, 'manageable');
    await new Promise((r) => setTimeout(r, 1_000));
    const waiting = await getNode(system, remoteUuid);
    expect(waiting.provision_state).toBe('enroll');
    expect(waiting.target_provision_state).toBe('manageable');
    expect(remote.bmc.state.requestCount).toBe(0);

    await system.startService('power', { INGOT_SITE: 'edge-1' }, 'power-edge');
    await system.startService(
      'conductor',
      { INGOT_SITE: 'edge-1', INGOT_CONDUCTOR_ID: 'conductor-edge' },
      'conductor-edge',
    );
    await waitForState(system, remoteUuid, 'manageable');
    await setPower(system, remoteUuid, 'power on');
    await waitForPower(system, remoteUuid, 'power on');
    const history = (await system.api('GET', `/v1/nodes/${remoteUuid}/history`)).body
      .history as any[];
    expect(new Set(history.filter((h) => h.conductor).map((h) => h.conductor))).toEqual(
      new Set(['conductor-edge']),
    );
  });

  it('a node is deleted in enroll or manageable, refused in active unless in maintenance', async () => {
    const created = await system.api('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: 'short-lived',
    });
    expect(created.status).toBe(201);
    expect((await system.api('DELETE', '/v1/nodes/short-lived')).status).toBe(204);
    expect((await system.api('GET', '/v1/nodes/short-lived')).status).toBe(404);

    const busy = await system.api('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: 'deployed',
    });
    const client = new pg.Client({ connectionString: system.databaseUrl });
    await client.connect();
    try {
      await client.query(`UPDATE nodes SET provision_state = 'active' WHERE uuid = $1`, [
        busy.body.uuid,
      ]);
      const refused = await system.api('DELETE', '/v1/nodes/deployed');
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.body.error_message).faultstring).toMatch(
        /cannot be deleted in provision state 'active'/,
      );
      await client.query(`UPDATE nodes SET maintenance = true WHERE uuid = $1`, [busy.body.uuid]);
      expect((await system.api('DELETE', '/v1/nodes/deployed')).status).toBe(204);
    } finally {
      await client.end();
    }
  });
});
