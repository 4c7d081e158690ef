import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, Installation, waitFor } from '@ingot/lab';
import { enroll, getNode, setPower } from './support/nodes.js';

describe('a command that keeps failing', () => {
  let system: Installation;
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ count: 1 });
    system = await Installation.start({ INGOT_MAX_DELIVER: '2', INGOT_LEASE_TTL_MS: '1000' });
  });
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  it('ends, after its last allowed delivery, in a readable last_error on the node instead of a silent drop', async () => {
    const uuid = await enroll(system, fleet.servers[0]!);
    // Someone else holds the node and never lets go.
    const client = new pg.Client({ connectionString: system.databaseUrl });
    await client.connect();
    await client.query(
      `UPDATE nodes SET lease_owner = 'stuck-conductor', lease_expires_at = now() + interval '1 hour' WHERE uuid = $1`,
      [uuid],
    );
    await client.end();

    await setPower(system, uuid, 'power on');
    const node = await waitFor('the give-up to be recorded', async () => {
      const n = await getNode(system, uuid);
      return n.last_error ? n : undefined;
    });
    expect(node.last_error).toMatch(
      /Gave up on power 'power on' after 2 attempts: node .* is held by stuck-conductor/,
    );
    expect(node.target_power_state).toBeNull();
    expect(fleet.servers[0]!.bmc.state.resets).toEqual([]);
    const history = (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[];
    expect(history.at(-1)).toMatchObject({ severity: 'ERROR', event_type: 'power' });
  });
});
