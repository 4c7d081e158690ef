import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, waitFor } from '@ingot/lab';
import { SseClient, type SseMessage } from './support/sse-client.js';

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(24).toString('base64url');
const faultOf = (body: string): string => JSON.parse(JSON.parse(body).error_message).faultstring;

const tokens = { admin: newToken(), reader: newToken(), acmeReader: newToken() };
type Persona = keyof typeof tokens;
const auth = (who: Persona) => ({ authorization: `Bearer ${tokens[who]}` });

interface Transition {
  node: string;
  kind: 'provision' | 'power';
  from: string | null;
  to: string | null;
}

/**
 * GET /v1/events (issue #12): node events of the bus as Server-Sent Events, on fake-hardware
 * nodes (every interface fake, so transitions come in milliseconds), through two API replicas
 * with bearer-token auth.
 */
describe('live node events over Server-Sent Events', () => {
  let system: Installation;
  let dir: string;
  /** Base URLs of the replicas 'api' and 'api-2'. */
  let replicas: [string, string];

  const api = (method: string, path: string, body?: unknown, base?: string) =>
    system.api(method, path, body, auth('admin'), base);

  async function createNode(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await api('POST', '/v1/nodes', { driver: 'fake-hardware', name, ...extra });
    expect(res.status, res.text).toBe(201);
    return res.body.uuid as string;
  }

  async function act(uuid: string, what: 'provision' | 'power', target: string): Promise<void> {
    const res = await api('PUT', `/v1/nodes/${uuid}/states/${what}`, { target });
    expect(res.status, `${what} ${target} on ${uuid}: ${res.text}`).toBe(202);
  }

  function resting(uuid: string, state: string, power?: string) {
    return waitFor(
      `node ${uuid} resting in ${state}${power ? ` and ${power}` : ''}`,
      async () => {
        const { body } = await api('GET', `/v1/nodes/${uuid}`);
        return body.provision_state === state &&
          body.target_provision_state === null &&
          body.target_power_state === null &&
          (power === undefined || body.power_state === power)
          ? body
          : undefined;
      },
      20_000,
      50,
    );
  }

  /**
   * The node's provision and power transitions as its history recorded them, oldest first (a
   * verb's 'accepted' entry has no to_state: it is a request, not a transition).
   */
  async function historyOf(uuid: string): Promise<Transition[]> {
    const res = await api('GET', `/v1/nodes/${uuid}/history`);
    expect(res.status, res.text).toBe(200);
    return (res.body.history as any[])
      .filter((h) => h.to_state !== null)
      .map((h) => ({
        node: uuid,
        kind: h.event_type === 'power' ? 'power' : 'provision',
        from: h.from_state,
        to: h.to_state,
      }));
  }

  const transitionOf = (m: SseMessage): Transition => ({
    node: m.data.node_uuid,
    kind: m.event === 'power_state_changed' ? 'power' : 'provision',
    from: m.data.from,
    to: m.data.to,
  });

  const stream = (
    query: string,
    who: Persona = 'admin',
    headers: Record<string, string> = {},
    base = replicas[0],
  ) => SseClient.open(`${base}/v1/events${query}`, { ...auth(who), ...headers });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ingot-events-'));
    const file = join(dir, 'tokens.json');
    await writeFile(
      file,
      JSON.stringify([
        { name: 'ops-admin', token_sha256: sha256(tokens.admin), roles: ['admin'] },
        { name: 'auditor', token_sha256: sha256(tokens.reader), roles: ['reader'] },
        {
          name: 'acme-viewer',
          token_sha256: sha256(tokens.acmeReader),
          roles: ['reader'],
          project_id: 'acme',
        },
      ]),
    );
    system = await Installation.create({
      INGOT_AUTH_TOKENS_FILE: file,
      INGOT_AUTOMATED_CLEAN: 'disabled',
      INGOT_EVENTS_KEEPALIVE_MS: '500',
      LOG_LEVEL: 'info',
    });
    await Promise.all([
      system.startService('power'),
      system.startService('conductor'),
      system.startService('api'),
      system.startService('api', {}, 'api-2'),
    ]);
    replicas = [system.apiUrl, await system.apiUrlOf('api-2')];
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends ready first, then the events of the nodes and kinds asked for as they happen, with keep-alive comments', async () => {
    const watched = await createNode('watched-1');
    const other = await createNode('other-1');
    // By name and by kind: provision events of watched-1 only.
    const client = await stream('?node=watched-1&kinds=provision');
    const all = await stream('');
    try {
      const [ready] = await client.waitUntil(
        'ready',
        () => client.messages.length > 0 && client.messages,
      );
      expect(ready!.event).toBe('ready');
      expect(ready!.id).toBe(String(ready!.data.last_event_id));

      await Promise.all([act(watched, 'provision', 'manage'), act(other, 'provision', 'manage')]);
      await Promise.all([resting(watched, 'manageable'), resting(other, 'manageable')]);
      await act(watched, 'power', 'power on');
      await resting(watched, 'manageable', 'power on');

      const events = await client.waitUntil(
        'watched-1 to reach manageable',
        () => client.events.some((e) => e.data.to === 'manageable') && client.events,
      );
      expect(events.map(transitionOf)).toEqual(
        (await historyOf(watched)).filter((t) => t.kind === 'provision'),
      );
      expect(events.map((e) => e.event)).toEqual([
        'provision_state_changed',
        'provision_state_changed',
      ]);
      for (const e of events) {
        expect(e.data).toMatchObject({ node_uuid: watched, site: '', last_error: null });
        expect(Number(e.id)).toBeGreaterThan(ready!.data.last_event_id);
      }
      // The unfiltered stream had both nodes' transitions and the power change, in stream order.
      await all.waitUntil('the power change', () =>
        all.events.some((e) => e.event === 'power_state_changed'),
      );
      const ids = all.events.map((e) => Number(e.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(all.events.map((e) => e.data.node_uuid))).toEqual(new Set([watched, other]));
      // Nothing of the other node or of power reached the filtered stream meanwhile.
      expect(client.events).toHaveLength(2);
      await client.waitUntil('a keep-alive comment', () => client.comments.includes('keep-alive'));
    } finally {
      client.close();
      all.close();
    }
  });

  it('a client that disconnects and resumes with Last-Event-ID, on the other replica, misses no transition', async () => {
    const nodes = [await createNode('resume-1'), await createNode('resume-2')];
    const client = await stream('?kinds=provision,power');
    await client.waitUntil('ready', () => client.messages[0]?.event === 'ready');
    await act(nodes[0]!, 'provision', 'manage');
    await client.waitUntil('the first transition', () => client.events.length > 0);
    // Gone mid-operation: the rest of resume-1's transitions and all of resume-2's happen unseen.
    client.close();
    const seen = client.events.map(transitionOf);
    const lastSeen = client.lastEventId!;

    await act(nodes[1]!, 'provision', 'manage');
    await Promise.all(nodes.map((n) => resting(n, 'manageable')));
    await Promise.all(nodes.map((n) => act(n, 'provision', 'provide')));
    await Promise.all(nodes.map((n) => resting(n, 'available')));
    await act(nodes[0]!, 'power', 'power on');
    await resting(nodes[0]!, 'available', 'power on');

    const resumed = await stream('', 'admin', { 'last-event-id': lastSeen }, replicas[1]);
    try {
      await resumed.waitUntil('ready', () => resumed.messages[0]?.event === 'ready');
      expect(resumed.messages[0]!.data.last_event_id).toBe(Number(lastSeen));
      expect(resumed.messages.some((m) => m.event === 'reset')).toBe(false);
      const expected = [...(await historyOf(nodes[0]!)), ...(await historyOf(nodes[1]!))];
      await resumed.waitUntil(
        `all ${expected.length} transitions`,
        () =>
          seen.length + resumed.events.filter((e) => nodes.includes(e.data.node_uuid)).length >=
            expected.length || undefined,
      );
      const received = [...seen, ...resumed.events.map(transitionOf)].filter((t) =>
        nodes.includes(t.node),
      );
      for (const node of nodes)
        expect(
          received.filter((t) => t.node === node),
          `transitions of ${node}`,
        ).toEqual(expected.filter((t) => t.node === node));
      // Each event once: the resumed stream starts right after the last one seen.
      const ids = resumed.events.map((e) => Number(e.id));
      expect(Math.min(...ids)).toBeGreaterThan(Number(lastSeen));
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      resumed.close();
    }

    // The query parameter does the same for clients that cannot set the header.
    const byQuery = await stream(`?last_event_id=${lastSeen}&node=${nodes[1]}`);
    try {
      const expected = await historyOf(nodes[1]!);
      await byQuery.waitUntil(
        'resume-2 transitions',
        () => byQuery.events.length >= expected.length,
      );
      expect(byQuery.events.map(transitionOf)).toEqual(expected);
    } finally {
      byQuery.close();
    }
  });

  it('a Last-Event-ID older than the stream keeps, or from another stream, gets reset before ready', async () => {
    const node = await createNode('reset-1');
    await act(node, 'provision', 'manage');
    await resting(node, 'manageable');
    const nc = await connect({ servers: system.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const name = `${system.prefix.toUpperCase()}_EVT`;
      const before = await jsm.streams.info(name);
      expect(before.state.last_seq).toBeGreaterThan(2);
      // As if the retention had removed the oldest events.
      await jsm.streams.purge(name, { seq: before.state.last_seq });
      const stale = await stream('', 'admin', { 'last-event-id': '1' });
      const future = await stream('', 'admin', {
        'last-event-id': String(before.state.last_seq + 1000),
      });
      try {
        for (const client of [stale, future]) {
          await client.waitUntil('ready', () => client.messages.some((m) => m.event === 'ready'));
          expect(client.messages.slice(0, 2).map((m) => m.event)).toEqual(['reset', 'ready']);
          expect(client.messages[1]!.data.last_event_id).toBe(before.state.last_seq);
        }
      } finally {
        stale.close();
        future.close();
      }
    } finally {
      await nc.close();
    }
  });

  it('a reader scoped to a project sees only the events of the nodes its project owns or leases', async () => {
    const mine = await createNode('acme-1', { owner: 'acme' });
    const theirs = await createNode('foreign-1');
    const scoped = await stream('', 'acmeReader');
    const auditor = await stream('', 'reader');
    try {
      await scoped.waitUntil('ready', () => scoped.messages[0]?.event === 'ready');
      await auditor.waitUntil('ready', () => auditor.messages[0]?.event === 'ready');
      await Promise.all([act(theirs, 'provision', 'manage'), act(mine, 'provision', 'manage')]);
      await Promise.all([resting(theirs, 'manageable'), resting(mine, 'manageable')]);
      await act(theirs, 'power', 'power on');
      await resting(theirs, 'manageable', 'power on');
      // The system reader saw everything, the foreign power change last.
      await auditor.waitUntil('the foreign power change', () =>
        auditor.events.some(
          (e) => e.data.node_uuid === theirs && e.event === 'power_state_changed',
        ),
      );
      // Events reach a stream in stream order: once acme-1's later power change is in, every
      // foreign event before it has been passed over.
      await act(mine, 'power', 'power on');
      await scoped.waitUntil('acme-1 powered on', () =>
        scoped.events.some((e) => e.event === 'power_state_changed' && e.data.to === 'power on'),
      );
      const foreignPowerId = auditor.events.find(
        (e) => e.data.node_uuid === theirs && e.event === 'power_state_changed',
      )!.id;
      expect(Number(scoped.lastEventId)).toBeGreaterThan(Number(foreignPowerId));
      expect(new Set(scoped.events.map((e) => e.data.node_uuid))).toEqual(new Set([mine]));
      expect(scoped.events.map(transitionOf)).toEqual(await historyOf(mine));

      // Naming a node it may not read is answered as naming no node.
      const refused = await SseClient.refusal(
        `${replicas[0]}/v1/events?node=${theirs}`,
        auth('acmeReader'),
      );
      expect(refused.status).toBe(400);
      expect(faultOf(refused.body)).toBe(
        `Query parameter 'node': node ${theirs} could not be found`,
      );
      const anonymous = await SseClient.refusal(`${replicas[0]}/v1/events`);
      expect(anonymous.status).toBe(401);
      // The agent logs of a node are read as the node is (the same 404 for a node it may not read).
      const ownLogs = await system.api(
        'GET',
        `/v1/nodes/${mine}/agent_logs`,
        undefined,
        auth('acmeReader'),
      );
      expect(ownLogs.status, ownLogs.text).toBe(200);
      expect(ownLogs.body).toEqual({ agent_logs: [] });
      const foreignLogs = await system.api(
        'GET',
        `/v1/nodes/${theirs}/agent_logs`,
        undefined,
        auth('acmeReader'),
      );
      expect(foreignLogs.status).toBe(404);
    } finally {
      scoped.close();
      auditor.close();
    }
  });

  it('a bad filter gets a 400 naming the parameter', async () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['?kinds=provision,bogus', {}, /^Query parameter 'kinds' has unknown kinds 'bogus'/],
      ['?kinds=', {}, /^Query parameter 'kinds' must list at least one/],
      ['?node=no-such-node', {}, /^Query parameter 'node': node no-such-node could not be found/],
      ['?site=not%20a%20site', {}, /^Query parameter 'site' must be a conductor group/],
      ['?last_event_id=-4', {}, /^Query parameter 'last_event_id' must be an event id/],
      ['', { 'last-event-id': 'abc' }, /^Header Last-Event-ID must be an event id/],
      ['?nodes=x', {}, /nodes/],
    ];
    for (const [query, headers, message] of cases) {
      const res = await SseClient.refusal(`${replicas[0]}/v1/events${query}`, {
        ...auth('reader'),
        ...headers,
      });
      expect(res.status, `${query} ${JSON.stringify(headers)}`).toBe(400);
      expect(faultOf(res.body)).toMatch(message);
    }
  });

  it('a client that stops reading is dropped with a clear end, and resumes where it stopped', async () => {
    // A replica that gives up on a client after 1 s without reading (30 s by default).
    await system.startService('api', { INGOT_EVENTS_SLOW_CLIENT_MS: '1000' }, 'api-slow');
    const base = await system.apiUrlOf('api-slow');
    const node = await createNode('flood-1');
    const slow = await stream(`?node=${node}`, 'admin', {}, base);
    await slow.waitUntil('ready', () => slow.messages[0]?.event === 'ready');
    slow.pause();

    // 400 events of 64 KiB (25 MiB): far more than the sockets' buffers hold.
    const COUNT = 400;
    const nc = await connect({ servers: system.natsUrl });
    const published: number[] = [];
    try {
      const js = jetstream(nc);
      const padding = 'x'.repeat(64 * 1024);
      for (let i = 0; i < COUNT; i++) {
        const ack = await js.publish(
          `${system.prefix}.evt.node.${node}.provision`,
          JSON.stringify({
            id: randomUUID(),
            type: 'provision_state_changed',
            node_uuid: node,
            site: '',
            at: new Date().toISOString(),
            from: 'enroll',
            to: 'enroll',
            target: null,
            event: `flood ${i} ${padding}`,
            last_error: null,
          }),
        );
        published.push(ack.seq);
      }
    } finally {
      await nc.close();
    }
    await waitFor(
      'the API to drop the client that does not read',
      async () => system.logs().includes('the client read nothing for 1000 ms'),
      30_000,
      100,
    );
    slow.resume();
    await slow.waitForEnd();
    expect(slow.comments.at(-1)).toBe(
      'dropped: the client read nothing for 1000 ms while events waited; reconnect with Last-Event-ID to resume',
    );
    expect(slow.events.length).toBeLessThan(COUNT);

    const resumed = await stream(
      `?node=${node}`,
      'admin',
      { 'last-event-id': slow.lastEventId! },
      base,
    );
    try {
      await resumed.waitUntil(
        'the rest of the events',
        () => slow.events.length + resumed.events.length >= COUNT || undefined,
      );
      const ids = [...slow.events, ...resumed.events].map((e) => Number(e.id));
      expect(ids).toEqual(published);
    } finally {
      resumed.close();
    }
  });

  it('maintenance set and cleared through the API are management events, with reason and fault', async () => {
    const uuid = await createNode('maintained-1');
    const events = await stream(`?node=${uuid}&kinds=management`);
    try {
      const on = await api('PUT', `/v1/nodes/${uuid}/maintenance`, { reason: 'rack 12 rewiring' });
      expect(on.status, on.text).toBe(202);
      const off = await api('DELETE', `/v1/nodes/${uuid}/maintenance`);
      expect(off.status, off.text).toBe(202);
      await events.waitUntil('both maintenance events', () => events.events.length >= 2);
      expect(events.events.map((e) => [e.event, e.data.maintenance, e.data.reason])).toEqual([
        ['maintenance_changed', true, 'rack 12 rewiring'],
        ['maintenance_changed', false, null],
      ]);
      expect(events.events[0]!.data).toMatchObject({
        node_uuid: uuid,
        // The default site is the empty conductor group, as in every node event.
        site: '',
        fault: null,
      });
      const { body } = await api('GET', `/v1/nodes/${uuid}`);
      expect(body).toMatchObject({ maintenance: false, maintenance_reason: null });
    } finally {
      events.close();
    }
  });

  it('filters by site', async () => {
    await Promise.all([
      system.startService('power', { INGOT_SITE: 'edge-1' }, 'power-edge'),
      system.startService(
        'conductor',
        { INGOT_SITE: 'edge-1', INGOT_CONDUCTOR_ID: 'conductor-edge' },
        'conductor-edge',
      ),
    ]);
    const edge = await createNode('edge-node', { conductor_group: 'Edge-1' });
    const home = await createNode('home-node');
    const edgeStream = await stream('?site=Edge-1');
    const homeStream = await stream('?site=default&kinds=provision');
    try {
      await Promise.all([act(edge, 'provision', 'manage'), act(home, 'provision', 'manage')]);
      await Promise.all([resting(edge, 'manageable'), resting(home, 'manageable')]);
      await edgeStream.waitUntil('edge manageable', () =>
        edgeStream.events.some((e) => e.data.to === 'manageable'),
      );
      await homeStream.waitUntil('home manageable', () =>
        homeStream.events.some((e) => e.data.to === 'manageable'),
      );
      expect(edgeStream.events.map(transitionOf)).toEqual(await historyOf(edge));
      expect(homeStream.events.map(transitionOf)).toEqual(await historyOf(home));
      for (const e of edgeStream.events) expect(e.data.site).toBe('edge-1');
    } finally {
      edgeStream.close();
      homeStream.close();
    }
  });

  it('is marked as an Ingot extension in the OpenAPI document, as the agent logs are', async () => {
    const doc = (await system.api('GET', '/openapi.json')).body;
    const events = doc.paths['/v1/events'].get;
    expect(events.description).toMatch(/^Ingot extension \(not in Ironic\)/);
    expect(Object.keys(events.responses['200'].content)).toEqual(['text/event-stream']);
    expect(events.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'kinds',
      'last_event_id',
      'node',
      'site',
    ]);
    const logs = doc.paths['/v1/nodes/{node_ident}/agent_logs'].get;
    expect(logs.description).toMatch(/^Ingot extension \(not in Ironic\)/);
    expect(doc.paths['/v1/agent_logs/{node_ident}'].post.description).toMatch(
      /^Ingot extension \(not in Ironic\)/,
    );
  });

  it('deletes the consumer of every stream whose client went away', async () => {
    const nc = await connect({ servers: system.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const name = `${system.prefix.toUpperCase()}_EVT`;
      const open = await stream('');
      await open.waitUntil('ready', () => open.messages[0]?.event === 'ready');
      expect((await jsm.streams.info(name)).state.consumer_count).toBe(1);
      open.close();
      // Every earlier test's streams are closed too: none may be left on the server.
      await waitFor(
        'no consumer left on the event stream',
        async () => (await jsm.streams.info(name)).state.consumer_count === 0,
        10_000,
        50,
      );
    } finally {
      await nc.close();
    }
  });
});
