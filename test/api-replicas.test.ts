import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, waitFor } from '@ingot/lab';

const NODES = 8;
/** Nothing listens on port 9: fake-hardware never downloads the image anyway. */
const IMAGE = 'http://127.0.0.1:9/never-downloaded.qcow2';

interface HistoryLine {
  event_type: string;
  event: string;
  severity: string;
  from_state: string | null;
  to_state: string | null;
  request_id: string | null;
  conductor: string | null;
}

/**
 * The API is stateless (issue #10 point 10): two API processes of one installation serve the same
 * nodes, a client may send each request to either, and when one replica dies (SIGKILL, so nothing
 * of its graceful stop runs) the other finishes what it had accepted. Every answer reflects the
 * database, not the replica: a write through one is read back through the other, a synchronous
 * BMC call waits on its own replica's reply subject, and a verb committed by the dead replica's
 * transaction is published by another process's outbox relay.
 */
describe('two API replicas of one installation', () => {
  let system: Installation;
  /** Base URLs: [0] the API named 'api', [1] 'api-2'. */
  let replicas: string[];
  const uuids: string[] = [];

  beforeAll(async () => {
    system = await Installation.create({ LOG_LEVEL: 'info' });
    // fake-hardware needs no image cache or inspector: the conductor, the power worker and the APIs.
    await Promise.all([
      system.startService('power'),
      system.startService('conductor'),
      system.startService('api'),
      system.startService('api', {}, 'api-2'),
    ]);
    replicas = [system.apiUrl, await system.apiUrlOf('api-2')];
  });
  afterAll(async () => {
    await system?.stop();
  });

  /** Node i's requests go to one replica and its reads to the other, alternating with i. */
  const writer = (i: number) => replicas[i % 2]!;
  const reader = (i: number) => replicas[(i + 1) % 2]!;

  async function call(base: string, method: string, path: string, body?: unknown) {
    return system.api(method, path, body, {}, base);
  }

  async function expectStatus(
    base: string,
    method: string,
    path: string,
    status: number,
    body?: unknown,
  ) {
    const res = await call(base, method, path, body);
    expect(res.status, `${method} ${base}${path}: ${res.text}`).toBe(status);
    return res;
  }

  /** Polls the node through `base` until it rests in `state` (no target) with `power`, if given. */
  function waitResting(base: string, uuid: string, state: string, power?: string) {
    return waitFor(
      `node ${uuid} resting in '${state}'${power ? ` with '${power}'` : ''} (read via ${base})`,
      async () => {
        const { body } = await expectStatus(base, 'GET', `/v1/nodes/${uuid}`, 200);
        const resting =
          body.provision_state === state &&
          body.target_provision_state === null &&
          body.target_power_state === null &&
          (power === undefined || body.power_state === power);
        return resting ? body : undefined;
      },
      20_000,
      100,
    );
  }

  /** A provision verb for every node, each sent to its writer and waited for through its reader. */
  async function phase(verb: string, state: string) {
    await Promise.all(
      uuids.map((uuid, i) =>
        expectStatus(writer(i), 'PUT', `/v1/nodes/${uuid}/states/provision`, 202, {
          target: verb,
        }),
      ),
    );
    await Promise.all(uuids.map((uuid, i) => waitResting(reader(i), uuid, state)));
  }

  it('serves enroll → manage → provide with each node written through one replica and read through the other', async () => {
    for (let i = 0; i < NODES; i++) {
      const created = await expectStatus(writer(i), 'POST', '/v1/nodes', 201, {
        driver: 'fake-hardware',
        name: `replicated-${i}`,
      });
      uuids.push(created.body.uuid as string);
      // Read-your-writes across replicas: no replica keeps a copy of its own.
      const read = await expectStatus(reader(i), 'GET', `/v1/nodes/replicated-${i}`, 200);
      expect(read.body.uuid).toBe(created.body.uuid);
    }
    const [first, second] = await Promise.all(
      replicas.map((base) => expectStatus(base, 'GET', '/v1/nodes?fields=uuid,name', 200)),
    );
    // The same list, but for the links, which name the host the client called.
    const listed = (body: { nodes: { uuid: string; name: string }[] }) =>
      body.nodes.map(({ uuid, name }) => ({ uuid, name }));
    expect(listed(first!.body)).toHaveLength(NODES);
    expect(listed(second!.body)).toEqual(listed(first!.body));
    // A page marker handed out by one replica is followed by the other.
    const page = await expectStatus(replicas[0]!, 'GET', '/v1/nodes?limit=3', 200);
    const marker = new URL(page.body.next as string).searchParams.get('marker');
    const rest = await expectStatus(replicas[1]!, 'GET', `/v1/nodes?marker=${marker}`, 200);
    expect([...page.body.nodes, ...rest.body.nodes].map((n: { uuid: string }) => n.uuid)).toEqual(
      first!.body.nodes.map((n: { uuid: string }) => n.uuid),
    );

    await phase('manage', 'manageable');

    // Synchronous BMC calls: each replica waits for its answer on its own reply subject (GET) or
    // for the conductor's node event (PUT), while the other replica reads what the BMC now says.
    await Promise.all(
      uuids.map(async (uuid, i) => {
        await expectStatus(writer(i), 'PUT', `/v1/nodes/${uuid}/management/boot_device`, 204, {
          boot_device: 'pxe',
        });
        const device = await expectStatus(
          reader(i),
          'GET',
          `/v1/nodes/${uuid}/management/boot_device`,
          200,
        );
        expect(device.body).toEqual({ boot_device: 'pxe', persistent: false });
      }),
    );
    await Promise.all(
      uuids.map(async (uuid, i) => {
        await expectStatus(writer(i), 'PUT', `/v1/nodes/${uuid}/states/power`, 202, {
          target: 'power on',
        });
        await waitResting(reader(i), uuid, 'manageable', 'power on');
      }),
    );

    await phase('provide', 'available');
    for (const [i, uuid] of uuids.entries()) {
      await expectStatus(reader(i), 'PATCH', `/v1/nodes/${uuid}`, 200, [
        { op: 'add', path: '/instance_info/image_source', value: IMAGE },
      ]);
      const read = await expectStatus(writer(i), 'GET', `/v1/nodes/${uuid}`, 200);
      expect(read.body).toMatchObject({ provision_state: 'available', power_state: 'power off' });
      expect(read.body.instance_info.image_source).toBe(IMAGE);
    }
    // Both replicas answered requests (each logs one line per request it answered).
    for (const name of ['api', 'api-2']) {
      const answered =
        system
          .service(name)
          .output.join('')
          .match(/"request completed"/g) ?? [];
      expect(answered.length, name).toBeGreaterThan(4 * NODES);
    }
  });

  it('keeps every one of many concurrent PATCHes of one node sent through both replicas', async () => {
    const uuid = uuids[0]!;
    const KEYS = 40;
    await Promise.all(
      Array.from({ length: KEYS }, (_, k) =>
        expectStatus(replicas[k % 2]!, 'PATCH', `/v1/nodes/${uuid}`, 200, [
          { op: 'add', path: `/extra/k${k}`, value: k },
        ]),
      ),
    );
    const { body } = await expectStatus(replicas[0]!, 'GET', `/v1/nodes/${uuid}`, 200);
    // Each patch applied to the row as the one before it left it: none undid another.
    for (let k = 0; k < KEYS; k++) expect(body.extra[`k${k}`], `extra.k${k}`).toBe(k);
  });

  it('finishes a deploy when one replica is killed -9 mid-phase, and the other takes its clients', async () => {
    expect(uuids).toHaveLength(NODES);
    const [survivor, victim] = replicas as [string, string];
    // Every node's deploy is sent at once, half to each replica; the victim dies as soon as it
    // has answered one of them, usually with others in hand: some committed and not answered,
    // their outbox rows perhaps not yet published (another process's relay sweeps them).
    let firstVictimAnswer!: () => void;
    const victimAnswered = new Promise<void>((resolve) => (firstVictimAnswer = resolve));
    const sent = uuids.map(async (uuid, i) => {
      const base = writer(i);
      try {
        const res = await call(base, 'PUT', `/v1/nodes/${uuid}/states/provision`, {
          target: 'active',
        });
        if (base === victim) firstVictimAnswer();
        return { uuid, status: res.status, text: res.text };
      } catch (error) {
        if (base === victim) firstVictimAnswer(); // not to wait forever if it died on its own
        return { uuid, status: 0, text: String(error) };
      }
    });
    await victimAnswered;
    await system.kill('api-2', 'SIGKILL');
    expect(system.apiUrls).toEqual([survivor]);
    const outcomes = await Promise.all(sent);
    for (const outcome of outcomes.filter((o) => o.status !== 0))
      expect(outcome.status, outcome.text).toBe(202);

    // A client whose request got no answer does not know whether it was taken: it reads the node
    // through the surviving replica and sends the verb again only if it was not.
    for (const { uuid } of outcomes.filter((o) => o.status === 0)) {
      const { body } = await expectStatus(survivor, 'GET', `/v1/nodes/${uuid}`, 200);
      if (body.provision_state === 'available' && body.target_provision_state === null)
        await expectStatus(survivor, 'PUT', `/v1/nodes/${uuid}/states/provision`, 202, {
          target: 'active',
        });
    }

    const deployed = await Promise.all(
      uuids.map((uuid) => waitResting(survivor, uuid, 'active', 'power on')),
    );
    for (const node of deployed) {
      expect(node.last_error).toBeNull();
      expect(node.maintenance).toBe(false);
    }
    const everyNode = await expectStatus(
      survivor,
      'GET',
      '/v1/nodes?fields=uuid,provision_state',
      200,
    );
    expect(
      everyNode.body.nodes.filter(
        (n: { provision_state: string }) => n.provision_state !== 'active',
      ),
    ).toEqual([]);

    for (const uuid of uuids) {
      const res = await expectStatus(survivor, 'GET', `/v1/nodes/${uuid}/history`, 200);
      const history = res.body.history as HistoryLine[];
      const lines = history.map((h) =>
        [h.event_type, h.event, h.from_state, h.to_state, h.request_id, h.conductor].join(' | '),
      );
      expect(lines.filter((line, at) => lines.indexOf(line) !== at)).toEqual([]);
      // Each verb was accepted once, whichever replica took it.
      const accepted = history
        .filter((h) => /^'[\w ]+' accepted$/.test(h.event))
        .map((h) => h.event);
      expect(accepted).toEqual([
        "'manage' accepted",
        "'power on' accepted",
        "'provide' accepted",
        "'active' accepted",
      ]);
      expect(history.filter((h) => h.severity === 'ERROR')).toEqual([]);
    }
  });
});
