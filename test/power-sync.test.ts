import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, startFleet, waitFor, type Fleet, type LabServer } from '@ingot/lab';
import { SseClient } from './support/sse-client.js';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

/** Someone at the BMC's own web page or the power button: a Reset Ingot did not ask for. */
async function resetOutOfBand(server: LabServer, resetType: 'On' | 'ForceOff'): Promise<void> {
  const auth = Buffer.from(`${server.username}:${server.password}`).toString('base64');
  const res = await fetch(`${server.url}${server.systemPath}/Actions/ComputerSystem.Reset`, {
    method: 'POST',
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ResetType: resetType }),
  });
  expect(res.status).toBeLessThan(300);
}

describe('periodic power sync', () => {
  let system: Installation;
  let fleet: Fleet;
  const uuids: string[] = [];

  beforeAll(async () => {
    fleet = await startFleet({ count: 2 });
    system = await Installation.start({
      INGOT_POWER_SYNC_INTERVAL_MS: '300',
      INGOT_POWER_SYNC_MAX_RETRIES: '2',
      LOG_LEVEL: 'info',
    });
    for (const server of fleet.servers) {
      const uuid = await enroll(system, server, {
        driver_info: { ...server.driverInfo, redfish_timeout_ms: 1000 },
      });
      await setProvision(system, uuid, 'manage');
      await waitForState(system, uuid, 'manageable');
      uuids.push(uuid);
    }
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  const history = async (uuid: string) =>
    ((await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[]).map(
      (h) => h.event as string,
    );

  it('records a power change made outside Ingot, with a history entry', async () => {
    const [uuid] = uuids;
    expect((await getNode(system, uuid!)).power_state).toBe('power off');
    await resetOutOfBand(fleet.servers[0]!, 'On');
    const node = await waitFor('the sync to notice', async () => {
      const n = await getNode(system, uuid!);
      return n.power_state === 'power on' ? n : undefined;
    });
    expect(node.maintenance).toBe(false);
    expect(await history(uuid!)).toContain(
      "power state changed outside Ingot: 'power off' → 'power on'",
    );
  });

  it('a BMC that stops answering puts its node in maintenance with fault "power failure", until it answers again', async () => {
    const uuid = uuids[1]!;
    const server = fleet.servers[1]!;
    // Followers of the node's events (the console, `ingot watch`) see both changes.
    const events = await SseClient.open(`${system.apiUrl}/v1/events?node=${uuid}&kinds=management`);
    await server.bmc.setFault('refuse');
    const failed = await waitFor(
      'maintenance for power failure',
      async () => {
        const n = await getNode(system, uuid);
        return n.maintenance ? n : undefined;
      },
      30_000,
    );
    expect(failed.fault).toBe('power failure');
    expect(failed.maintenance_reason).toMatch(/the BMC failed 2 times in a row/);
    expect(failed.power_state).toBeNull();
    const listed = await system.api('GET', '/v1/nodes?fault=power%20failure');
    expect(listed.body.nodes.map((n: any) => n.uuid)).toEqual([uuid]);
    // The other node, whose BMC is fine, is left alone.
    expect((await getNode(system, uuids[0]!)).maintenance).toBe(false);

    await server.bmc.setFault('none');
    const recovered = await waitFor(
      'recovery from power failure',
      async () => {
        const n = await getNode(system, uuid);
        return n.maintenance ? undefined : n;
      },
      30_000,
    );
    expect(recovered.fault).toBeNull();
    expect(recovered.maintenance_reason).toBeNull();
    expect(recovered.power_state).toBe('power off');
    expect((await system.api('GET', '/v1/nodes?fault=power%20failure')).body.nodes).toEqual([]);
    await events.waitUntil('both maintenance events', () => events.events.length >= 2);
    events.close();
    expect(events.events.map((e) => [e.event, e.data.maintenance, e.data.fault])).toEqual([
      ['maintenance_changed', true, 'power failure'],
      ['maintenance_changed', false, null],
    ]);
  });

  it('with INGOT_POWER_SYNC_FORCE the BMC is put back to the power state Ingot recorded', async () => {
    await system.kill('conductor', 'SIGTERM');
    await system.startService('conductor', { INGOT_POWER_SYNC_FORCE: 'true' });
    const uuid = uuids[0]!;
    const server = fleet.servers[0]!;
    expect((await getNode(system, uuid)).power_state).toBe('power on');
    await resetOutOfBand(server, 'ForceOff');
    await waitFor('the sync to power the server on again', async () =>
      (await history(uuid)).includes(
        "power state was 'power off' on the BMC, not 'power on': forced back",
      ),
    );
    expect(server.bmc.state.power).toBe('On');
    expect((await getNode(system, uuid)).power_state).toBe('power on');
  });
});
