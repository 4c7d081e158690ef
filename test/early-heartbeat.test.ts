import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, startFleet, waitFor, type Fleet } from '@ingot/lab';
import { NodeStore } from './support/db.js';
import { FakeAgent } from './support/fake-agent.js';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

/**
 * An agent that boots faster than the conductor finishes booting it (the lab's agents; a VM with
 * a small ramdisk) heartbeats while its node is still `cleaning`. The API pins its URL but queues
 * nothing (the node is not waiting yet); the conductor must act on it as soon as the node waits,
 * not a heartbeat interval later (up to 60 % of the heartbeat timeout, 3 minutes by default).
 */
describe('heartbeats that come when the conductor cannot act on them yet', () => {
  let system: Installation;
  let fleet: Fleet;
  let store: NodeStore;
  let agent: FakeAgent;
  let node: string;
  let token: string;

  beforeAll(async () => {
    // The BMC takes 3 s to power on: the window in which the agent heartbeats while `cleaning`.
    fleet = await startFleet({ count: 1, powerDelayMs: 3_000 });
    system = await Installation.start({
      INGOT_AUTOMATED_CLEAN: 'metadata',
      // Ingot's default: no second heartbeat comes within this test's waits.
      INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '300',
    });
    store = await NodeStore.open(system);
    agent = await FakeAgent.start();
  });
  afterAll(async () => {
    await store?.close();
    await system?.stop();
    await fleet?.stop();
    await agent?.close();
  });

  it("moves the operation on when the node reaches 'clean wait', with no second heartbeat", async () => {
    node = await enroll(system, fleet.servers[0]!);
    await setProvision(system, node, 'manage');
    await waitForState(system, node, 'manageable');
    await setProvision(system, node, 'provide');

    // The new token is written before the ISO is built and the server powered on.
    await waitFor(
      "the conductor to boot the agent for cleaning (a fresh token, still 'cleaning')",
      async () => {
        const row = await store.agentColumns(node);
        return row.provision_state === 'cleaning' && row.agent_token_pregenerated ? row : false;
      },
      20_000,
      20,
    );
    const bootToken = (await store.agentToken(node))!; // as the conductor put it on the ISO
    const early = await system.api('POST', `/v1/heartbeat/${node}`, {
      callback_url: agent.url,
      agent_version: '10.0.0',
      agent_token: bootToken,
    });
    expect(early.status, early.text).toBe(202);
    const pinned = await store.agentColumns(node);
    expect(pinned.provision_state).toBe('cleaning'); // the heartbeat came before the wait
    expect(pinned.agent_url).toBe(agent.url);

    await waitFor(
      'the conductor to start the clean step on the agent that heartbeated early',
      async () => agent.calls.some((c) => c.name === 'clean.execute_clean_step'),
      30_000,
    );
    expect(agent.calls.map((c) => c.name).filter(Boolean)).toEqual([
      'clean.get_clean_steps',
      'clean.execute_clean_step',
    ]);
    expect(agent.calls.every((c) => c.token === bootToken)).toBe(true);
    // Driven by the pinned URL, not by a heartbeat command: the API queued none.
    expect(await store.outboxCount(node, 'node.heartbeat')).toBe(0);
    const after = await getNode(system, node);
    expect(after.provision_state).toBe('clean wait');
    expect(after.power_state).toBe('power on');
    const history = (await system.api('GET', `/v1/nodes/${node}/history`)).body.history as {
      event: string;
    }[];
    expect(history.map((h) => h.event)).toContain('clean step erase_devices_metadata started');
    token = bootToken;
  });

  it('a heartbeat that finds its node busy (leased for 3 s) is acted on once the node is free, not dropped', async () => {
    const polls = () =>
      agent.calls.filter((c) => c.method === 'GET' && c.path === '/v1/commands/').length;
    const before = polls();
    await store.holdLease(node, 'another-conductor', 3_000);
    const res = await system.api('POST', `/v1/heartbeat/${node}`, {
      callback_url: agent.url,
      agent_version: '10.0.0',
      agent_token: token,
    });
    expect(res.status, res.text).toBe(202);
    expect(await store.outboxCount(node, 'node.heartbeat')).toBe(1);
    // The running step is checked (GET /v1/commands/) once the lease lapsed, on this heartbeat.
    await waitFor(
      'the conductor to check the running clean step after the lease lapsed',
      async () => polls() > before,
      30_000,
    );
    expect((await getNode(system, node)).provision_state).toBe('clean wait');
    expect((await getNode(system, node)).last_error).toBeNull();
  });
});
