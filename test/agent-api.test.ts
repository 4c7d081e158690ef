import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, Installation, startFleet, waitFor, type Fleet } from '@ingot/lab';
import { agentTokenHash, NodeStore, type AgentColumns } from './support/db.js';
import { FakeAgent } from './support/fake-agent.js';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

/** A hand-made inventory as ironic-python-agent sends it, for a server with these MACs. */
const inventoryFor = (macs: readonly string[]) => ({
  inventory: {
    cpu: { count: 4, architecture: 'x86_64', model_name: 'Test CPU' },
    memory: { physical_mb: 8192, total: 8 * 1024 ** 3 },
    disks: [{ name: '/dev/sda', size: 64 * 1024 ** 3, rotational: false }],
    interfaces: macs.map((mac, i) => ({
      name: `eth${i}`,
      mac_address: mac,
      ipv4_address: `192.0.2.${10 + i}`,
      has_carrier: true,
    })),
  },
  boot_interface: `01-${macs[0]!.replace(/:/g, '-')}`,
});

/**
 * The agent endpoints (lookup, heartbeat, continue_inspection) driven directly, with no ramdisk
 * anywhere: every request a real agent could get wrong, and proof that a refused one changes
 * nothing in the node row, its history, its outbox or the conductor's behaviour.
 */
describe('the agent endpoints refuse what they must and change nothing when they do', () => {
  let system: Installation;
  let fleet: Fleet;
  let store: NodeStore;
  let agent: FakeAgent;
  let node: string; // taken through inspection and into 'clean wait'
  let other: string; // stays 'manageable'
  let token: string;

  beforeAll(async () => {
    fleet = await startFleet({ count: 2 });
    system = await Installation.start({ LOG_LEVEL: 'info' });
    store = await NodeStore.open(system);
    agent = await FakeAgent.start();
    [node, other] = await Promise.all(fleet.servers.map((server) => enroll(system, server)));
    await Promise.all([node, other].map((uuid) => setProvision(system, uuid!, 'manage')));
    await Promise.all([node, other].map((uuid) => waitForState(system, uuid!, 'manageable')));
  });
  afterAll(async () => {
    await store?.close();
    await system?.stop();
    await fleet?.stop();
    await agent?.close();
  });

  const macs = () => fleet.servers[0]!.macs;
  const lookup = (query: string) => system.api('GET', `/v1/lookup${query}`);
  const heartbeat = (uuid: string, body: Record<string, unknown>) =>
    system.api('POST', `/v1/heartbeat/${uuid}`, body);
  const history = async (uuid: string) =>
    (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[];
  const faultOf = (res: { body: any }) => JSON.parse(res.body.error_message).faultstring as string;

  /** Everything a heartbeat could change, to compare before and after a refused one. */
  async function snapshot(uuid: string) {
    const row: AgentColumns = await store.agentColumns(uuid);
    const api = await getNode(system, uuid);
    return {
      row,
      provision_state: api.provision_state,
      target_provision_state: api.target_provision_state,
      last_error: api.last_error,
      history: (await history(uuid)).length,
      heartbeats: await store.outboxCount(uuid, 'node.heartbeat'),
      agentCalls: agent.calls.length,
    };
  }

  it('lookup needs a node_uuid or a valid MAC (400), and answers 404 for unknown nodes and for nodes no ramdisk should be running on', async () => {
    const none = await lookup('');
    expect(none.status).toBe(400);
    expect(faultOf(none)).toMatch(/needs valid MAC addresses .* or a "node_uuid"/);
    expect((await lookup('?addresses=not-a-mac,also:not')).status).toBe(400);

    expect((await lookup(`?node_uuid=${randomUUID()}`)).status).toBe(404);
    const manageable = await lookup(`?node_uuid=${other}`);
    expect(manageable.status).toBe(404);
    expect(faultOf(manageable)).toBe('Node could not be found.');
    // No token was handed out for it either.
    expect(await store.agentColumns(other)).toMatchObject({
      agent_token_hash: null,
      agent_token_sealed: null,
    });
  });

  it('continue_inspection for a node that is not inspecting: 404, nothing stored or sent', async () => {
    const res = await system.api(
      'POST',
      `/v1/continue_inspection?node_uuid=${other}`,
      inventoryFor(fleet.servers[1]!.macs),
    );
    expect(res.status).toBe(404);
    expect((await system.api('GET', `/v1/nodes/${other}/inventory`)).status).toBe(404);
    expect(await store.outboxCount(other, 'inspection.process')).toBe(0);
    expect((await getNode(system, other)).provision_state).toBe('manageable');
  });

  it("in 'inspect wait' the pregenerated token is in the database only as a hash and sealed, and lookup masks it", async () => {
    await setProvision(system, node, 'inspect');
    await waitFor('inspect wait', async () => {
      const n = await getNode(system, node);
      return n.provision_state === 'inspect wait';
    });
    const row = await store.agentColumns(node);
    expect(row.agent_token_pregenerated).toBe(true);
    expect(row.agent_token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.agent_token_sealed).toMatch(/^v1:/);
    token = (await store.agentToken(node))!; // checked against the hash
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.tablesHolding(token)).toEqual([]);

    const found = await lookup(`?node_uuid=${node}`);
    expect(found.status).toBe(200);
    expect(found.body.node.uuid).toBe(node);
    expect(found.body.config).toMatchObject({ agent_token: '******', agent_token_required: true });
    expect(found.text).not.toContain(token);
  });

  it('garbage inspection data gets 400 naming the fields, even with the token: the node keeps waiting and nothing is queued', async () => {
    const good = inventoryFor(macs());
    const cases: [string, unknown, RegExp][] = [
      [
        'a CPU count of 0 and no memory',
        {
          ...good,
          agent_token: token,
          inventory: {
            ...good.inventory,
            cpu: { count: 0, architecture: 'x86_64' },
            memory: undefined,
          },
        },
        /^Inventory from the agent is malformed: (?=.*inventory\.cpu\.count must be an integer >= 1)(?=.*inventory\.memory is required)/,
      ],
      [
        'no interfaces (Ironic requires one with a MAC)',
        { ...good, agent_token: token, inventory: { ...good.inventory, interfaces: [] } },
        /inventory\.interfaces must list at least 1 entry/,
      ],
      [
        'a MAC that is none',
        {
          ...good,
          agent_token: token,
          inventory: { ...good.inventory, interfaces: [{ name: 'eth0', mac_address: 'zz' }] },
        },
        /inventory\.interfaces\[0\]\.mac_address 'zz' is not a MAC address/,
      ],
      [
        'plugin data of the wrong shape',
        { ...good, agent_token: token, root_disk: { name: '/dev/sda' } },
        /root_disk\.size is required/,
      ],
      ['no inventory at all', { agent_token: token, logs: '' }, /inventory is required/],
    ];
    for (const [what, body, message] of cases) {
      const res = await system.api('POST', `/v1/continue_inspection?node_uuid=${node}`, body);
      expect(res.status, what).toBe(400);
      expect(faultOf(res), what).toMatch(message);
      expect(res.text, what).not.toContain(token);
    }
    // The inspector-era callback refuses it the same way.
    const legacy = await system.api('POST', '/v1/continue', cases[0]![1]);
    expect(legacy.status).toBe(400);
    // The data is judged before the node is looked for (Ironic's order): 400, not 404.
    const unknown = await system.api(
      'POST',
      `/v1/continue_inspection?node_uuid=${randomUUID()}`,
      cases[0]![1],
    );
    expect(unknown.status).toBe(400);

    const n = await getNode(system, node);
    expect(n).toMatchObject({ provision_state: 'inspect wait', last_error: null });
    expect(await store.outboxCount(node, 'inspection.process')).toBe(0);
    expect((await system.api('GET', `/v1/nodes/${node}/inventory`)).status).toBe(404);
  });

  it('inspection data without the pregenerated token, or with a wrong one, gets 401 and is not queued', async () => {
    const wrongSameLength = `${token[0] === 'A' ? 'B' : 'A'}${token.slice(1)}`;
    for (const [what, extra] of [
      ['no token', {}],
      ['a null token', { agent_token: null }],
      ['an empty token', { agent_token: '' }],
      ['a wrong token', { agent_token: wrongSameLength }],
      ['the mask lookup shows', { agent_token: '******' }],
    ] as const) {
      for (const path of ['/v1/continue_inspection', '/v1/continue'].map(
        (p) => `${p}?node_uuid=${node}`,
      )) {
        const res = await system.api('POST', path, { ...inventoryFor(macs()), ...extra });
        expect(res.status, `${what} to ${path}`).toBe(401);
        expect(faultOf(res), what).toBe('Invalid or missing agent token received.');
      }
    }
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await getNode(system, node)).provision_state).toBe('inspect wait');
    expect(await store.outboxCount(node, 'inspection.process')).toBe(0);
  });

  it('valid data with the token gets 202 with the token masked; the inventory gives the node its ports, the token is wiped, and lookup by MAC is refused again', async () => {
    const posted = await system.api('POST', `/v1/continue_inspection?node_uuid=${node}`, {
      ...inventoryFor(macs()),
      agent_token: token,
    });
    expect(posted.status, posted.text).toBe(202);
    expect(posted.body.config.agent_token).toBe('******');
    expect(posted.text).not.toContain(token);
    const inspected = await waitForState(system, node, 'manageable');
    expect(inspected.properties).toMatchObject({ cpus: 4, memory_mb: 8192, cpu_arch: 'x86_64' });
    expect(inspected.last_error).toBeNull();
    // The token proved the data; it is kept nowhere, not as plugin data either.
    const stored = await system.api('GET', `/v1/nodes/${node}/inventory`);
    expect(stored.body.plugin_data).not.toHaveProperty('agent_token');
    expect(await store.tablesHolding(token)).toEqual([]);
    // Wiped with the ramdisk.
    expect(await store.agentColumns(node)).toMatchObject({
      agent_token_hash: null,
      agent_token_sealed: null,
      agent_token_pregenerated: false,
    });

    // The node has a port now, but 'manageable' is no state to look a node up in.
    expect((await lookup(`?addresses=${macs()[0]}`)).status).toBe(404);
  });

  it("in 'clean wait': lookup by node_uuid or by MAC answers '******', never the token", async () => {
    await setProvision(system, node, 'provide');
    await waitFor('clean wait', async () => {
      const n = await getNode(system, node);
      return n.provision_state === 'clean wait';
    });
    const row = await store.agentColumns(node);
    expect(row).toMatchObject({ agent_token_pregenerated: true, agent_url: null });
    const previous = token;
    token = (await store.agentToken(node))!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(token).not.toBe(previous); // every ramdisk boot gets its own

    for (const query of [
      `?node_uuid=${node}`,
      `?addresses=${macs()[0]}`,
      `?addresses=${macs()[0]!.toUpperCase()},${macs()[1]}`,
    ]) {
      const res = await lookup(query);
      expect(res.status, query).toBe(200);
      expect(res.body.node.uuid).toBe(node);
      expect(res.body.config.agent_token).toBe('******');
      expect(res.text).not.toContain(token);
    }
    // Looking up did not replace the pregenerated token.
    expect((await store.agentColumns(node)).agent_token_hash).toBe(row.agent_token_hash);
    expect(await store.agentToken(node)).toBe(token);
  });

  it('a heartbeat without the token, with a wrong one, or with the token of another node is refused with 401 and changes nothing', async () => {
    const before = await snapshot(node);
    expect(before.row).toMatchObject({
      agent_url: null,
      agent_version: null,
      agent_last_heartbeat: null,
    });
    const valid = { callback_url: agent.url, agent_version: '10.0.0' };
    const wrongSameLength = `${token[0] === 'A' ? 'B' : 'A'}${token.slice(1)}`;
    for (const [what, body] of [
      ['no token', valid],
      ['an empty token', { ...valid, agent_token: '' }],
      ['a wrong token', { ...valid, agent_token: wrongSameLength }],
      ['a token too short', { ...valid, agent_token: token.slice(0, 20) }],
      ['the mask lookup shows', { ...valid, agent_token: '******' }],
    ] as const) {
      const res = await heartbeat(node, body);
      expect(res.status, what).toBe(401);
      expect(faultOf(res), what).toBe('Invalid or missing agent token received.');
    }
    // The right token for the wrong node: 'other' has no ramdisk and no token.
    expect((await heartbeat(other, { ...valid, agent_token: token })).status).toBe(401);
    expect((await heartbeat(randomUUID(), { ...valid, agent_token: token })).status).toBe(404);

    // Long enough for any command a refused heartbeat had leaked to reach the conductor.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await snapshot(node)).toEqual(before);
    expect((await store.agentColumns(other)).agent_url).toBeNull();
  });

  it('a heartbeat with the token but without agent_version, or with a callback_url that is no http(s) URL, is refused with 400 and changes nothing', async () => {
    const before = await snapshot(node);
    const noVersion = await heartbeat(node, { callback_url: agent.url, agent_token: token });
    expect(noVersion.status).toBe(400);
    expect(faultOf(noVersion)).toMatch(/agent_version is required/);
    const notHttp = await heartbeat(node, {
      callback_url: 'ftp://127.0.0.1:1/',
      agent_version: '10.0.0',
      agent_token: token,
    });
    expect(notHttp.status).toBe(400);
    expect(faultOf(notHttp)).toMatch(/callback_url must be an http\(s\) URL/);
    expect(await snapshot(node)).toEqual(before);
  });

  it('the right token is accepted (202): the callback URL is pinned and the conductor drives the agent there with the token', async () => {
    const res = await heartbeat(node, {
      callback_url: agent.url,
      agent_version: '10.0.0',
      agent_token: token,
    });
    expect(res.status, res.text).toBe(202);
    const row = await store.agentColumns(node);
    expect(row).toMatchObject({
      agent_url: agent.url,
      agent_version: '10.0.0',
      agent_token_hash: agentTokenHash(token),
    });
    expect(row.agent_last_heartbeat).toBeInstanceOf(Date);
    expect(await store.outboxCount(node, 'node.heartbeat')).toBe(1);

    await waitFor('the conductor to start the clean step on the agent', async () =>
      agent.calls.some((c) => c.name === 'clean.execute_clean_step'),
    );
    // The conductor opened the sealed token: the agent got the very one it heartbeated with.
    expect(agent.calls.every((c) => c.token === token)).toBe(true);
    expect(await store.tablesHolding(token)).toEqual([]);
    expect(agent.calls.map((c) => c.name).filter(Boolean)).toEqual([
      'clean.get_clean_steps',
      'clean.execute_clean_step',
    ]);
    await waitFor('the step to be recorded', async () =>
      (await history(node)).some((h) => h.event === 'clean step erase_devices_metadata started'),
    );
    expect((await getNode(system, node)).provision_state).toBe('clean wait');
  });

  it('a heartbeat from another callback URL, even with the right token, is refused with 400 and the pinned URL stays', async () => {
    const before = await snapshot(node);
    const elsewhere = `http://127.0.0.1:${await freePort()}`;
    const res = await heartbeat(node, {
      callback_url: elsewhere,
      agent_version: '10.0.0',
      agent_token: token,
    });
    expect(res.status).toBe(400);
    expect(faultOf(res)).toMatch(/does not match the agent URL registered for this operation/);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await snapshot(node)).toEqual(before);
    expect(before.row.agent_url).toBe(agent.url);

    // The agent at the pinned URL is still welcome.
    const again = await heartbeat(node, {
      callback_url: agent.url,
      agent_version: '10.0.0',
      agent_token: token,
    });
    expect(again.status).toBe(202);
    const lookedUp = await lookup(`?node_uuid=${node}`);
    expect(lookedUp.body.config.agent_token).toBe('******');
  });

  it('a token handed out at lookup (no pregenerated one: iPXE) is shown once and stored only as a hash and sealed', async () => {
    // As a node that boots over iPXE waits: in 'clean wait' with no token yet.
    await store.abandonIn(other, 'clean wait', 'available');
    const first = await lookup(`?node_uuid=${other}`);
    expect(first.status, first.text).toBe(200);
    const issued = first.body.config.agent_token as string;
    expect(issued).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.agentColumns(other)).toMatchObject({
      agent_token_hash: agentTokenHash(issued),
      agent_token_pregenerated: false,
    });
    expect(await store.agentToken(other)).toBe(issued);
    expect(await store.tablesHolding(issued)).toEqual([]);
    // Once only.
    const again = await lookup(`?node_uuid=${other}`);
    expect(again.status).toBe(200);
    expect(again.body.config.agent_token).toBe('******');
    expect(await store.agentToken(other)).toBe(issued);
  });
});
