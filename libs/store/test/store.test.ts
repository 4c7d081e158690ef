import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { eq, inArray, sql } from 'drizzle-orm';
import pg from 'pg';
import {
  acquireLease,
  agentTokenColumns,
  agentTokenMatches,
  handledMessages,
  nodeHistory,
  createScratchDatabase,
  enqueueOutbox,
  isDatabaseUnavailable,
  markHandled,
  migrateDatabase,
  newAgentToken,
  nodes,
  openAgentToken,
  openDatabase,
  outbox,
  openDriverInfo,
  OutboxRelay,
  type OutboxRelayOptions,
  releaseLeases,
  renewLeases,
  sealDriverInfo,
  SecretBox,
  toApiNode,
  writeNodeRow,
  type Database,
} from '../src/index.js';

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let database: Database;
const box = new SecretBox('a-test-key-that-is-long-enough');

beforeAll(async () => {
  scratch = await createScratchDatabase();
  database = openDatabase(scratch.url);
});
afterAll(async () => {
  await database.close();
  await scratch.drop();
});

async function insertNode(extra: Partial<typeof nodes.$inferInsert> = {}) {
  const uuid = randomUUID();
  await database.db.insert(nodes).values({ uuid, driver: 'fake-hardware', ...extra });
  return uuid;
}

describe('migrations', () => {
  it('applying them again is a no-op, also when several services start at once', async () => {
    await Promise.all([migrateDatabase(scratch.url), migrateDatabase(scratch.url)]);
    const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM nodes');
    expect(rows[0].n).toBeGreaterThanOrEqual(0);
  });
});

describe('driver secrets', () => {
  it('are stored sealed, masked in the clear part, and recovered only with the key', async () => {
    const sealed = sealDriverInfo(box, {
      redfish_address: 'http://127.0.0.1:1',
      redfish_password: 'hunter2',
    });
    expect(sealed.driverInfo).toEqual({
      redfish_address: 'http://127.0.0.1:1',
      redfish_password: '******',
    });
    expect(sealed.driverSecrets).not.toContain('hunter2');
    const uuid = await insertNode({
      driverInfo: sealed.driverInfo,
      driverSecrets: sealed.driverSecrets,
    });
    const { rows } = await database.pool.query(
      'SELECT driver_info::text || driver_secrets AS raw FROM nodes WHERE uuid=$1',
      [uuid],
    );
    expect(rows[0].raw).not.toContain('hunter2');
    expect(openDriverInfo(box, sealed.driverInfo, sealed.driverSecrets).redfish_password).toBe(
      'hunter2',
    );
    expect(() =>
      openDriverInfo(
        new SecretBox('another-key-entirely-0000'),
        sealed.driverInfo,
        sealed.driverSecrets,
      ),
    ).toThrow(/sealed with key/);
  });
});

describe('agent tokens', () => {
  it('are stored as a SHA-256 and sealed, never in clear, and checked against the hash', async () => {
    const token = newAgentToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const columns = agentTokenColumns(box, token);
    expect(columns.agentTokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(columns)).not.toContain(token);
    const uuid = await insertNode({ ...columns, agentTokenPregenerated: true });
    const [row] = await database.db.select().from(nodes).where(eq(nodes.uuid, uuid));
    expect(JSON.stringify(row)).not.toContain(token);

    expect(agentTokenMatches(row!.agentTokenHash, token)).toBe(true);
    const wrong = `${token[0] === 'A' ? 'B' : 'A'}${token.slice(1)}`;
    for (const given of [wrong, token.slice(1), '', null, undefined, 42, '******']) {
      expect(agentTokenMatches(row!.agentTokenHash, given), String(given)).toBe(false);
    }
    // A node with no token matches nothing.
    expect(agentTokenMatches(null, token)).toBe(false);
    expect(openAgentToken(box, row!)).toBe(token);
    expect(() => openAgentToken(new SecretBox('another-key-long-enough'), row!)).toThrow(
      /sealed with key/,
    );
    expect(openAgentToken(box, { agentTokenSealed: null })).toBeNull();
  });
});

describe('leases', () => {
  it('one owner at a time; an expired lease can be taken over; renewal keeps it', async () => {
    const uuid = await insertNode();
    expect(await acquireLease(database.db, uuid, 'c1', 60_000, 'test')).not.toBeNull();
    expect(await acquireLease(database.db, uuid, 'c2', 60_000, 'test')).toBeNull();
    expect(await acquireLease(database.db, uuid, 'c1', 60_000, 'again')).not.toBeNull();
    expect(await renewLeases(database.db, 'c1', [uuid], 1)).toEqual(new Set([uuid]));
    await new Promise((r) => setTimeout(r, 20));
    const taken = await acquireLease(database.db, uuid, 'c2', 60_000, 'takeover');
    expect(taken?.leaseOwner).toBe('c2');
    expect(await renewLeases(database.db, 'c1', [uuid], 60_000)).toEqual(new Set());
    await releaseLeases(database.db, [uuid], 'c2');
    expect(await acquireLease(database.db, uuid, 'c3', 60_000, 'test')).not.toBeNull();
  });

  it('the API view shows the holder as reservation only while the lease is live', async () => {
    const uuid = await insertNode();
    const row = await acquireLease(database.db, uuid, 'c1', 60_000, 'test');
    expect(toApiNode(row!).reservation).toBe('c1');
    expect(toApiNode(row!, new Date(Date.now() + 120_000)).reservation).toBeNull();
  });
});

describe('one-statement node write', () => {
  const historyOf = (uuid: string) =>
    database.db.select().from(nodeHistory).where(eq(nodeHistory.nodeUuid, uuid));
  const outboxOf = (id: string) => database.db.select().from(outbox).where(eq(outbox.id, id));
  // The relay tests below count every unpublished row: leave none behind.
  afterEach(() => database.db.delete(outbox).where(eq(outbox.subject, 'node-write-test')));

  it('writes the columns, history, message and inbox mark together; other columns keep their values', async () => {
    const uuid = await insertNode({ name: 'keep-me', extra: { a: 1 }, powerState: 'power on' });
    await acquireLease(database.db, uuid, 'c1', 60_000, 'test');
    const messageId = randomUUID();
    const row = await writeNodeRow(database.db, {
      uuid,
      leaseOwner: 'c1',
      set: {
        provisionState: 'manageable',
        deadlineAt: new Date('2030-01-02T03:04:05.000Z'),
        driverInternalInfo: { steps: [1, 2] },
        lastError: null,
      },
      history: [
        {
          eventType: 'provisioning',
          event: 'x',
          fromState: 'enroll',
          toState: 'manageable',
          requestId: 'r1',
          conductor: 'c1',
        },
      ],
      outbox: [{ id: `m-${messageId}`, subject: 'node-write-test', payload: { n: 1 } }],
      handled: { consumer: 'conductor', messageId },
    });
    expect(row).toMatchObject({
      uuid,
      name: 'keep-me',
      extra: { a: 1 },
      powerState: 'power on',
      provisionState: 'manageable',
      driverInternalInfo: { steps: [1, 2] },
      leaseOwner: 'c1',
    });
    expect(row!.deadlineAt).toEqual(new Date('2030-01-02T03:04:05.000Z'));
    expect(row!.updatedAt).toBeInstanceOf(Date);
    const [stored] = await database.db.select().from(nodes).where(eq(nodes.uuid, uuid));
    expect(stored).toEqual(row);
    expect(await historyOf(uuid)).toMatchObject([
      {
        event: 'x',
        severity: 'INFO',
        fromState: 'enroll',
        toState: 'manageable',
        requestId: 'r1',
        conductor: 'c1',
      },
    ]);
    expect(await outboxOf(`m-${messageId}`)).toMatchObject([
      { subject: 'node-write-test', payload: { n: 1 }, headers: {} },
    ]);
    expect(await markHandled(database.db, 'conductor', messageId)).toBe(false);
  });

  it('writes nothing at all when a fence holds it back: another lease owner, a changed state', async () => {
    const uuid = await insertNode();
    await acquireLease(database.db, uuid, 'c1', 60_000, 'test');
    const messageId = randomUUID();
    const attempt = (fence: Partial<Parameters<typeof writeNodeRow>[1]>) =>
      writeNodeRow(database.db, {
        uuid,
        set: { lastError: 'should not be written' },
        history: [{ eventType: 'provisioning', event: 'fenced' }],
        outbox: [
          {
            id: `f-${messageId}-${Object.keys(fence).join()}`,
            subject: 'node-write-test',
            payload: {},
          },
        ],
        handled: { consumer: 'conductor', messageId },
        ...fence,
      });
    expect(await attempt({ leaseOwner: 'c2' })).toBeNull();
    expect(await attempt({ expect: { provisionState: 'manageable' } })).toBeNull();
    expect(await attempt({ expect: { targetPowerState: 'power off' } })).toBeNull();
    expect(await attempt({ uuid: randomUUID() })).toBeNull();
    const [stored] = await database.db.select().from(nodes).where(eq(nodes.uuid, uuid));
    expect(stored!.lastError).toBeNull();
    expect(await historyOf(uuid)).toEqual([]);
    const marks = await database.db
      .select()
      .from(handledMessages)
      .where(eq(handledMessages.messageId, messageId));
    expect(marks).toEqual([]);
    const [left] = await database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(sql`${outbox.id} LIKE ${`f-${messageId}%`}`);
    expect(left!.n).toBe(0);
    // The fences that hold: a null target matches null, the holder matches itself.
    const ok = await attempt({
      leaseOwner: 'c1',
      expect: { provisionState: 'enroll', targetProvisionState: null },
    });
    expect(ok?.lastError).toBe('should not be written');
  });

  it('concurrent writes of many nodes go out together; a bad one fails alone', async () => {
    const uuids = await Promise.all(Array.from({ length: 40 }, () => insertNode()));
    const results = await Promise.allSettled(
      uuids.map((uuid, i) =>
        writeNodeRow(database.db, {
          uuid,
          // A NUL cannot be stored in a text column: that write fails, the batch's others do not.
          set: { description: i === 7 ? 'bad\u0000value' : `node ${i}` },
          history: [{ eventType: 'provisioning', event: `write ${i}` }],
          outbox: [{ id: `batch-${uuid}`, subject: 'node-write-test', payload: { i } }],
        }),
      ),
    );
    results.forEach((result, i) => {
      if (i === 7) expect(result.status).toBe('rejected');
      else
        expect(result).toMatchObject({
          status: 'fulfilled',
          value: { uuid: uuids[i], description: `node ${i}` },
        });
    });
    const history = await database.db
      .select({ nodeUuid: nodeHistory.nodeUuid, event: nodeHistory.event })
      .from(nodeHistory)
      .where(inArray(nodeHistory.nodeUuid, uuids));
    expect(history).toHaveLength(39);
    for (const h of history) expect(h.event).toBe(`write ${uuids.indexOf(h.nodeUuid)}`);
    const sent = await database.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(eq(outbox.subject, 'node-write-test'));
    expect(sent).toHaveLength(39);
  });

  it('leaves the lease to the lease functions: kept by a write, refused in `set`', async () => {
    const uuid = await insertNode();
    await acquireLease(database.db, uuid, 'c1', 60_000, 'test');
    const row = await writeNodeRow(database.db, {
      uuid,
      leaseOwner: 'c1',
      set: { powerState: 'power off' },
    });
    expect(row).toMatchObject({ powerState: 'power off', leaseOwner: 'c1', leasePurpose: 'test' });
    await expect(
      writeNodeRow(database.db, { uuid, set: { leaseOwner: 'sneaky' } }),
    ).rejects.toThrow(/cannot set 'leaseOwner'/);
  });
});

describe('inbox', () => {
  it('a message id is handled once per consumer', async () => {
    const id = randomUUID();
    expect(await markHandled(database.db, 'conductor', id)).toBe(true);
    expect(await markHandled(database.db, 'conductor', id)).toBe(false);
    expect(await markHandled(database.db, 'power', id)).toBe(true);
  });
});

describe('outbox relay', () => {
  /** A started relay on the test database recording the ids it publishes; while `failing()`, each publish throws. */
  async function recordingRelay(
    options: Pick<OutboxRelayOptions, 'pollMs' | 'sweepAfterMs' | 'onError'> & {
      failing?: () => boolean;
    },
  ) {
    const { failing, ...relayOptions } = options;
    const seen: string[] = [];
    const relay = new OutboxRelay({
      db: database.db,
      url: scratch.url,
      ...relayOptions,
      publish: async (m) => {
        if (failing?.()) throw new Error('bus down');
        seen.push(m.id);
      },
    });
    await relay.start();
    return { relay, seen };
  }

  it('publishes committed rows once, in order, and never rows of a rolled-back transaction', async () => {
    const { relay, seen } = await recordingRelay({ pollMs: 50 });
    await database.db.transaction(async (tx) => {
      await enqueueOutbox(tx, [
        { id: 'a', subject: 's', payload: {} },
        { id: 'b', subject: 's', payload: {} },
      ]);
    });
    await database.db
      .transaction(async (tx) => {
        await enqueueOutbox(tx, [{ id: 'rolled-back', subject: 's', payload: {} }]);
        throw new Error('abort');
      })
      .catch(() => undefined);
    await relay.flush();
    await relay.stop();
    expect(seen).toEqual(['a', 'b']);
  });

  it('a failed publish is retried later and nothing is lost', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const { relay, seen } = await recordingRelay({
      pollMs: 30,
      onError: (e) => errors.push(e),
      failing: () => fail,
    });
    await enqueueOutbox(database.db, [{ id: 'retry-me', subject: 's', payload: {} }]);
    await relay.flush();
    expect(seen).toEqual([]);
    fail = false;
    await new Promise((r) => setTimeout(r, 150));
    await relay.flush();
    await relay.stop();
    expect(seen).toEqual(['retry-me']);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('publishes the rows of a committed transaction at once, without waiting for a sweep', async () => {
    // No sweep during the test: only the eager path can publish.
    const { relay, seen } = await recordingRelay({ pollMs: 600_000 });
    try {
      await database.db.transaction(async (tx) => {
        await enqueueOutbox(tx, [
          { id: 'eager-1', subject: 's', payload: {} },
          { id: 'eager-2', subject: 's', payload: {} },
        ]);
        await new Promise((r) => setTimeout(r, 100));
        expect(seen).toEqual([]); // nothing leaves before the commit
      });
      await vi.waitFor(() => expect(seen).toEqual(['eager-1', 'eager-2']), { timeout: 2_000 });
      await vi.waitFor(async () => {
        const rows = await database.db
          .select({ publishedAt: outbox.publishedAt })
          .from(outbox)
          .where(inArray(outbox.id, ['eager-1', 'eager-2']));
        expect(rows.every((r) => r.publishedAt !== null)).toBe(true);
      });
    } finally {
      await relay.stop();
    }
  });

  it('rows committed by a process without a relay are published on its NOTIFY', async () => {
    const { relay, seen } = await recordingRelay({ pollMs: 600_000 });
    const other = openDatabase(scratch.url); // e.g. the power worker, which runs no relay
    try {
      await other.db.transaction(async (tx) => {
        await enqueueOutbox(tx, [{ id: 'notified', subject: 's', payload: {} }]);
      });
      await vi.waitFor(() => expect(seen).toEqual(['notified']), { timeout: 2_000 });
    } finally {
      await other.close();
      await relay.stop();
    }
  });

  it('a row whose eager publish failed is swept once it is old enough', async () => {
    let fail = true;
    const { relay, seen } = await recordingRelay({
      pollMs: 50,
      sweepAfterMs: 300,
      onError: () => undefined,
      failing: () => fail,
    });
    try {
      await database.db.transaction(async (tx) => {
        await enqueueOutbox(tx, [{ id: 'swept', subject: 's', payload: {} }]);
      });
      await new Promise((r) => setTimeout(r, 100));
      fail = false;
      await vi.waitFor(() => expect(seen).toEqual(['swept']), { timeout: 3_000 });
    } finally {
      await relay.stop();
    }
  });
});

describe('isDatabaseUnavailable', () => {
  it('tells a server that refuses connections from a wrong query', async () => {
    // Nothing listens on port 1 of loopback: the driver's own connection error.
    const unreachable = new pg.Client({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    const refused = await unreachable.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isDatabaseUnavailable(refused)).toBe(true);
    // The same wrapped as drizzle wraps it, and PostgreSQL's own "too many clients".
    expect(isDatabaseUnavailable(new Error('Failed query', { cause: refused }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('too many'), { code: '53300' }))).toBe(
      true,
    );

    const wrong = await database.db.execute(sql`select * from no_such_table`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(wrong).toBeDefined();
    expect(isDatabaseUnavailable(wrong)).toBe(false);
  });
});
