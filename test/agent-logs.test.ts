import { createHash, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, waitFor, type Fleet } from '@ingot/lab';
import { runIngot } from './support/ingot-cli.js';
import { enroll, setProvision, waitForState } from './support/nodes.js';

const faultOf = (body: any): string => JSON.parse(body.error_message).faultstring;

interface AgentLogLine {
  id: number;
  at: string;
  level: string;
  message: string;
  boot: string;
}

/**
 * Agent logs per node (issue #12): the agent ships its lines, the API keeps them redacted and
 * bounded with the node, and serves them at GET /v1/nodes/{node}/agent_logs.
 */
describe('agent logs per node', () => {
  let system: Installation;
  let fleet: Fleet;
  let host: ServerHost;
  let db: pg.Client;

  const logsOf = async (node: string, query = '') => {
    const res = await system.api('GET', `/v1/nodes/${node}/agent_logs${query}`);
    expect(res.status, res.text).toBe(200);
    return res.body.agent_logs as AgentLogLine[];
  };
  const post = (node: string, body: unknown) =>
    system.api('POST', `/v1/agent_logs/${node}`, body, { 'x-openstack-ironic-api-version': '1.1' });

  /**
   * A node whose agent holds `token`, as the conductor leaves it when it boots a ramdisk (the
   * hash only: the API never sees the token in clear but from the agent).
   */
  async function nodeWithAgentToken(name: string): Promise<{ uuid: string; token: string }> {
    const res = await system.api('POST', '/v1/nodes', { driver: 'fake-hardware', name });
    expect(res.status, res.text).toBe(201);
    const token = randomBytes(32).toString('base64url');
    system.registerSecret(token);
    await db.query('UPDATE nodes SET agent_token_hash = $2 WHERE uuid = $1', [
      res.body.uuid,
      createHash('sha256').update(token).digest('hex'),
    ]);
    return { uuid: res.body.uuid, token };
  }

  const lines = (from: number, count: number, message = (i: number) => `line ${i}`) =>
    Array.from({ length: count }, (_, k) => ({
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, from + k)).toISOString(),
      level: 'info',
      message: message(from + k),
    }));

  beforeAll(async () => {
    fleet = await startFleet({ count: 1, powerDelayMs: 50 });
    system = await Installation.start({
      INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10',
      INGOT_AUTOMATED_CLEAN: 'metadata',
      LOG_LEVEL: 'info',
    });
    host = await ServerHost.create(fleet.servers[0]!, { workDir: system.workDir });
    db = new pg.Client({ connectionString: system.databaseUrl });
    await db.connect();
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await db?.end();
    await system?.stop();
    await fleet?.stop();
  });

  it('a lab server inspected and cleaned has the real lines of its agent, boot by boot', async () => {
    const server = fleet.servers[0]!;
    const node = await enroll(system, server);
    await setProvision(system, node, 'manage');
    await waitForState(system, node, 'manageable');
    await setProvision(system, node, 'inspect');
    await waitForState(system, node, 'manageable', 60_000);
    // The agent ships what it logged before it reports its inventory, which may end its boot.
    const inspection = await logsOf(server.name);
    expect(inspection[0]?.message).toMatch(/^starting agent /);
    const inspectionBoot = inspection[0]!.boot;

    await setProvision(system, node, 'provide');
    await waitForState(system, node, 'available', 60_000);
    const logged = await waitFor(
      "the cleaning agent's lookup in the node's agent log",
      async () => {
        const all = await logsOf(node);
        return all.some(
          (l) => l.boot !== inspectionBoot && l.message.startsWith('lookup succeeded'),
        )
          ? all
          : undefined;
      },
      20_000,
      200,
    );
    const boots = [...new Set(logged.map((l) => l.boot))];
    expect(boots).toHaveLength(2);
    expect(boots[0]).toBe(inspectionBoot);
    const cleaning = logged.filter((l) => l.boot === boots[1]).map((l) => l.message);
    expect(cleaning[0]).toMatch(/^starting agent /);
    expect(cleaning).toContain(`lookup succeeded {"node_uuid":"${node}"}`);
    expect(cleaning.some((m) => m.startsWith('heartbeat sent'))).toBe(true);
    // The agent's own stdout (the lab keeps it) has the same lines: they are its real ones.
    for (const line of ['starting agent', 'lookup succeeded', 'heartbeat sent'])
      expect(host.output()).toContain(`"msg":"${line}"`);
    // Secrets stay out: the token the conductor gave this boot is in no line.
    expect(logged.some((l) => /agent_token"?\s*[:=]\s*"?[A-Za-z0-9_-]{20}/.test(l.message))).toBe(
      false,
    );
    const ids = logged.map((l) => l.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    for (const line of logged) {
      expect(['debug', 'info', 'warning', 'error']).toContain(line.level);
      expect(new Date(line.at).toISOString()).toBe(line.at);
    }
    // An extension: the node's name works without a version header (Ironic's 1.1) too.
    const plain = await fetch(`${system.apiUrl}/v1/nodes/${server.name}/agent_logs?limit=1`);
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as { agent_logs: AgentLogLine[] }).agent_logs).toEqual([
      logged[0],
    ]);
    // Reading on from an id, a page at a time.
    const page = await logsOf(node, `?since_id=${ids[0]}&limit=2`);
    expect(page.map((l) => l.id)).toEqual(ids.slice(1, 3));

    // `ingot logs` prints the same lines, a header per boot; --json one line object per line.
    const printed = await runIngot(['logs', server.name], { INGOT_URL: system.apiUrl });
    expect(printed.code, printed.stderr).toBe(0);
    const headers = printed.stdout.split('\n').filter((l) => l.startsWith('--- boot '));
    expect(headers).toEqual(boots.map((boot) => `--- boot ${boot}`));
    expect(printed.stdout).toContain(`INFO    lookup succeeded {"node_uuid":"${node}"}`);
    const json = await runIngot(['logs', server.name, '--json'], { INGOT_URL: system.apiUrl });
    expect(json.code, json.stderr).toBe(0);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AgentLogLine);
    expect(lines.slice(0, logged.length)).toEqual(logged);
  });

  it('stores a line with the agent token, a password, URL credentials or an Authorization header redacted', async () => {
    const { uuid, token } = await nodeWithAgentToken('redacted-1');
    const res = await post(uuid, {
      agent_token: token,
      boot: 'boot-1',
      lines: [
        { at: new Date().toISOString(), level: 'debug', message: `calling the API with ${token}` },
        {
          at: new Date().toISOString(),
          level: 'info',
          message: 'rescue {"rescue_password":"Resc-ue-Pass!","user":"rescue"}',
        },
        {
          at: new Date().toISOString(),
          level: 'error',
          message: 'download of https://ops:Hunter2-Hunter2@10.0.0.9/img.raw failed',
        },
        {
          at: new Date().toISOString(),
          level: 'warning',
          message: 'sent Authorization: Bearer eyJhbGciOi.payload.sig',
        },
      ],
    });
    expect(res.status, res.text).toBe(204);
    expect((await logsOf(uuid)).map((l) => [l.level, l.message, l.boot])).toEqual([
      ['debug', 'calling the API with ******', 'boot-1'],
      ['info', 'rescue {"rescue_password":"******","user":"rescue"}', 'boot-1'],
      ['error', 'download of https://ops:******@10.0.0.9/img.raw failed', 'boot-1'],
      ['warning', 'sent Authorization: Bearer ******', 'boot-1'],
    ]);
    for (const secret of [token, 'Resc-ue-Pass!', 'Hunter2-Hunter2', 'eyJhbGciOi']) {
      const { rows } = await db.query(
        'SELECT count(*)::int AS n FROM agent_log_lines WHERE strpos(message, $1) > 0',
        [secret],
      );
      expect(rows[0].n, secret).toBe(0);
    }
  });

  it('keeps the newest 5,000 lines and at most 1 MiB per node, and reports the lines the agent dropped', async () => {
    const { uuid, token } = await nodeWithAgentToken('bounded-1');
    for (let batch = 0; batch < 11; batch++) {
      const res = await post(uuid, {
        agent_token: token,
        boot: 'b',
        lines: lines(batch * 500, 500),
      });
      expect(res.status, res.text).toBe(204);
    }
    const kept = await logsOf(uuid, '?limit=5000');
    expect(kept).toHaveLength(5_000);
    expect(kept[0]!.message).toBe('line 500');
    expect(kept.at(-1)!.message).toBe('line 5499');

    // 200 lines of 8,000 bytes (1.6 MB): the byte bound takes over.
    const big = await post(uuid, {
      agent_token: token,
      boot: 'b',
      dropped: 42,
      lines: lines(6000, 200, (i) => `${i} ${'x'.repeat(8_000)}`),
    });
    expect(big.status, big.text).toBe(204);
    const { rows } = await db.query(
      'SELECT count(*)::int AS n, sum(octet_length(message))::int AS bytes FROM agent_log_lines WHERE node_uuid = $1',
      [uuid],
    );
    expect(rows[0].bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(rows[0].bytes).toBeGreaterThan(1024 * 1024 - 8_100);
    const newest = await logsOf(uuid, '?limit=5000');
    expect(newest).toHaveLength(rows[0].n);
    expect(newest.at(-1)!.message.startsWith('6199 ')).toBe(true);

    // The agent's count of dropped lines is kept as a line of its own, before the batch.
    const other = await nodeWithAgentToken('dropped-1');
    await post(other.uuid, {
      agent_token: other.token,
      boot: 'b',
      dropped: 42,
      lines: lines(0, 1),
    });
    expect((await logsOf(other.uuid)).map((l) => [l.level, l.message])).toEqual([
      [
        'warning',
        '42 earlier log lines were dropped by the agent: its buffer was full while the API could not be reached',
      ],
      ['info', 'line 0'],
    ]);
  });

  it('refuses an unknown node (404), a wrong token (401) and a malformed batch (400 naming the field)', async () => {
    const { uuid, token } = await nodeWithAgentToken('refusals-1');
    const batch = { agent_token: token, boot: 'b', lines: lines(0, 1) };

    const unknown = await post(randomUUID(), batch);
    expect(unknown.status).toBe(404);
    const wrong = await post(uuid, { ...batch, agent_token: 'not-the-token-of-this-node' });
    expect(wrong.status).toBe(401);
    expect(faultOf(wrong.body)).toBe('Invalid or missing agent token received.');
    const noBoot = await post(uuid, { agent_token: token, lines: lines(0, 1) });
    expect(noBoot.status).toBe(400);
    expect(faultOf(noBoot.body)).toMatch(/'boot' is required/);
    const badLevel = await post(uuid, { ...batch, lines: [{ ...lines(0, 1)[0], level: 'loud' }] });
    expect(badLevel.status).toBe(400);
    expect(faultOf(badLevel.body)).toMatch(/lines\.0\.level/);
    expect(await logsOf(uuid)).toEqual([]);

    const read = await system.api('GET', `/v1/nodes/${randomUUID()}/agent_logs`);
    expect(read.status).toBe(404);
    const badLimit = await system.api('GET', `/v1/nodes/${uuid}/agent_logs?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(faultOf(badLimit.body)).toMatch(/limit/);
  });

  it('deletes the agent log with the node', async () => {
    const { uuid, token } = await nodeWithAgentToken('deleted-1');
    await post(uuid, { agent_token: token, boot: 'b', lines: lines(0, 3) });
    expect(await logsOf(uuid)).toHaveLength(3);
    const res = await system.api('DELETE', `/v1/nodes/${uuid}`);
    expect(res.status, res.text).toBe(204);
    const { rows } = await db.query(
      'SELECT count(*)::int AS n FROM agent_log_lines WHERE node_uuid = $1',
      [uuid],
    );
    expect(rows[0].n).toBe(0);
  });
});
