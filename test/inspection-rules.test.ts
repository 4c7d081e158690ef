import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, waitFor, type Fleet } from '@ingot/lab';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

const faultOf = (body: any): string => JSON.parse(body.error_message).faultstring;
const log = (msg: string) => ({ op: 'log', args: { msg } });

describe('the inspection rules API, and rules applied by a real inspection', () => {
  let system: Installation;
  let fleet: Fleet;
  let host: ServerHost;

  beforeAll(async () => {
    fleet = await startFleet({ count: 1, powerDelayMs: 50 });
    system = await Installation.start({ INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10', LOG_LEVEL: 'info' });
    host = await ServerHost.create(fleet.servers[0]!, { workDir: system.workDir });
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await system?.stop();
    await fleet?.stop();
  });
  beforeEach(async () => {
    expect((await system.api('DELETE', '/v1/inspection_rules')).status).toBe(204);
  });

  async function create(body: Record<string, unknown>) {
    const res = await system.api('POST', '/v1/inspection_rules', body);
    if (res.status !== 201) throw new Error(`create rule: ${res.status} ${res.text}`);
    return res.body as Record<string, any>;
  }

  async function storedRule(uuid: string) {
    const client = new pg.Client({ connectionString: system.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT * FROM inspection_rules WHERE uuid = $1', [uuid]);
      return rows[0];
    } finally {
      await client.end();
    }
  }

  it('creates a rule with defaults, shows it, and refuses a second rule with the same uuid', async () => {
    const res = await system.api('POST', '/v1/inspection_rules', {
      description: 'tag big machines',
      actions: [{ op: 'add-trait', args: { name: 'CUSTOM_BIG' } }],
    });
    expect(res.status).toBe(201);
    const rule = res.body;
    expect(rule).toMatchObject({
      description: 'tag big machines',
      priority: 0,
      sensitive: false,
      phase: 'main',
      conditions: [],
      actions: [{ op: 'add-trait', args: { name: 'CUSTOM_BIG' } }],
      updated_at: null,
    });
    expect(rule.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(rule.created_at)).not.toBeNaN();
    expect(res.headers.get('location')).toBe(`/v1/inspection_rules/${rule.uuid}`);
    expect(rule.links).toEqual([
      { href: `${system.apiUrl}/v1/inspection_rules/${rule.uuid}`, rel: 'self' },
      { href: `${system.apiUrl}/inspection_rules/${rule.uuid}`, rel: 'bookmark' },
    ]);
    const shown = await system.api('GET', `/v1/inspection_rules/${rule.uuid}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual(rule);

    const uuid = '5F1C2D4E-0000-4000-8000-0000000000AA';
    const chosen = await create({
      uuid,
      priority: 50,
      conditions: [{ op: 'ge', args: { values: ['{inventory[cpu][count]}', 8] } }],
      actions: [log('many cpus')],
    });
    expect(chosen.uuid).toBe(uuid.toLowerCase());
    const again = await system.api('POST', '/v1/inspection_rules', {
      uuid,
      actions: [log('x')],
    });
    expect(again.status).toBe(409);
    expect(faultOf(again.body)).toMatch(/already exists/);
  });

  it.each([
    [
      'an unknown operator',
      { conditions: [{ op: 'like', args: { value: 1 } }], actions: [log('x')] },
      /condition 1: unknown operator 'like' \(operators: eq, ne, /,
    ],
    [
      'an unknown action',
      { actions: [log('x'), { op: 'reboot', args: {} }] },
      /action 2: unknown action 'reboot' \(actions: fail, log, /,
    ],
    [
      'a missing argument',
      { actions: [{ op: 'set-attribute', args: { path: '/extra/rack' } }] },
      /action 1: set-attribute missing argument\(s\) value/,
    ],
    [
      'an unexpected argument',
      { conditions: [{ op: 'eq', args: { values: [1, 1], colour: 'red' } }], actions: [log('x')] },
      /condition 1: eq unexpected argument\(s\) colour/,
    ],
    [
      'an attribute rules may not change',
      { actions: [{ op: 'set-attribute', args: { path: '/provision_state', value: 'active' } }] },
      /action 1: set-attribute: '\/provision_state' is not a node attribute rules may change/,
    ],
    [
      'a bad regular expression',
      {
        conditions: [
          { op: 'matches', args: { value: '{inventory[cpu][model_name]}', regex: '(' } },
        ],
        actions: [log('x')],
      },
      /condition 1: matches: invalid regular expression/,
    ],
    [
      'a bad trait name',
      { actions: [{ op: 'add-trait', args: { name: 'lower-case' } }] },
      /action 1: add-trait: invalid trait \(use A-Z, 0-9 and _\): 'lower-case'/,
    ],
    ['no actions', { description: 'nothing to do' }, /rule\.actions is required/],
    ['an empty action list', { actions: [] }, /rule\.actions must list at least 1 entry/],
    ['an unknown field', { actions: [log('x')], colour: 'red' }, /rule\.colour is not allowed/],
    ['a priority out of range', { priority: 10000, actions: [log('x')] }, /rule\.priority/],
    ['an unknown phase', { phase: 'late', actions: [log('x')] }, /rule\.phase must be one of main/],
    ['a uuid that is no UUID', { uuid: 'abc', actions: [log('x')] }, /'uuid': 'abc' is not a UUID/],
  ])('refuses a rule with %s: 400 naming the problem', async (_what, body, message) => {
    const res = await system.api('POST', '/v1/inspection_rules', body);
    expect(res.status, res.text).toBe(400);
    expect(faultOf(res.body)).toMatch(message);
    expect(JSON.parse(res.body.error_message).faultcode).toBe('Client');
    const list = await system.api('GET', '/v1/inspection_rules');
    expect(list.body.inspection_rules).toEqual([]);
  });

  it("lists Ironic's short form, the detail on request, filters by phase and pages", async () => {
    const made = [];
    for (const i of [1, 2, 3]) {
      made.push(await create({ description: `rule ${i}`, priority: i, actions: [log(`${i}`)] }));
    }
    const list = await system.api('GET', '/v1/inspection_rules');
    expect(list.status).toBe(200);
    expect(list.body.inspection_rules).toHaveLength(3);
    expect(list.body.inspection_rules[0]).toEqual({
      uuid: made[0]!.uuid,
      description: 'rule 1',
      priority: 1,
      phase: 'main',
      sensitive: false,
      links: made[0]!.links,
    });
    expect(list.body.next).toBeUndefined();

    const detail = await system.api('GET', '/v1/inspection_rules?detail=true');
    expect(detail.body.inspection_rules).toEqual(made);
    expect(
      (await system.api('GET', '/v1/inspection_rules?phase=main')).body.inspection_rules,
    ).toHaveLength(3);
    expect(
      (await system.api('GET', '/v1/inspection_rules?phase=other')).body.inspection_rules,
    ).toEqual([]);

    const page1 = await system.api('GET', '/v1/inspection_rules?limit=2');
    expect(page1.body.inspection_rules.map((r: any) => r.uuid)).toEqual(
      made.slice(0, 2).map((r) => r.uuid),
    );
    const next = new URL(page1.body.next);
    const page2 = await system.api('GET', `${next.pathname}${next.search}`);
    expect(page2.body.inspection_rules.map((r: any) => r.uuid)).toEqual([made[2]!.uuid]);
    const badMarker = await system.api('GET', '/v1/inspection_rules?marker=nope');
    expect(badMarker.status).toBe(400);
    expect(faultOf(badMarker.body)).toMatch(/Marker nope could not be found/);
  });

  it('patches a rule with JSON Patch, validating the result and keeping uuid and created_at', async () => {
    const rule = await create({ description: 'racks', actions: [log('x')] });
    const res = await system.api('PATCH', `/v1/inspection_rules/${rule.uuid}`, [
      { op: 'replace', path: '/priority', value: 20 },
      { op: 'replace', path: '/description', value: 'racks of big machines' },
      {
        op: 'add',
        path: '/conditions/-',
        value: { op: 'ge', args: { values: ['{inventory[cpu][count]}', 2] } },
      },
      {
        op: 'add',
        path: '/actions/-',
        value: { op: 'set-attribute', args: { path: '/extra/rack', value: 'r1' } },
      },
    ]);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      uuid: rule.uuid,
      priority: 20,
      description: 'racks of big machines',
      conditions: [{ op: 'ge', args: { values: ['{inventory[cpu][count]}', 2] } }],
      actions: [log('x'), { op: 'set-attribute', args: { path: '/extra/rack', value: 'r1' } }],
      created_at: rule.created_at,
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(rule.created_at));
    expect((await system.api('GET', `/v1/inspection_rules/${rule.uuid}`)).body).toEqual(res.body);

    const refused = async (patch: unknown[], message: RegExp) => {
      const r = await system.api('PATCH', `/v1/inspection_rules/${rule.uuid}`, patch);
      expect(r.status, r.text).toBe(400);
      expect(faultOf(r.body)).toMatch(message);
    };
    await refused(
      [{ op: 'replace', path: '/actions/0/op', value: 'reboot' }],
      /Inspection rule 'racks of big machines' \(.*\) is invalid: action 1: unknown action 'reboot'/,
    );
    await refused(
      [{ op: 'replace', path: '/conditions/0/op', value: 'like' }],
      /condition 1: unknown operator 'like'/,
    );
    await refused([{ op: 'remove', path: '/actions' }], /rule\.actions is required/);
    await refused(
      [{ op: 'replace', path: '/uuid', value: '5f1c2d4e-0000-4000-8000-0000000000bb' }],
      /'\/uuid' is a read-only field/,
    );
    await refused(
      [{ op: 'replace', path: '/created_at', value: '2020-01-01T00:00:00Z' }],
      /'\/created_at' is a read-only field/,
    );
    await refused([{ op: 'remove', path: '/conditions/5' }], /Invalid patch/);
    await refused([{ op: 'frobnicate', path: '/priority' }], /Invalid request body: field '0\.op'/);
    // Nothing of the refused patches was stored.
    expect((await system.api('GET', `/v1/inspection_rules/${rule.uuid}`)).body).toEqual(res.body);
  });

  it("hides a sensitive rule's conditions and actions (null, as Ironic) but stores and patches them", async () => {
    const actions = [
      {
        op: 'set-attribute',
        args: { path: '/driver_info/redfish_password', value: 'n0t-for-your-eyes' },
      },
    ];
    const conditions = [
      { op: 'eq', args: { values: ['{inventory[system_vendor][manufacturer]}', 'Ingot'] } },
    ];
    const rule = await create({ description: 'credentials', sensitive: true, conditions, actions });
    expect(rule).toMatchObject({ sensitive: true, conditions: null, actions: null });
    expect(JSON.stringify(rule)).not.toContain('n0t-for-your-eyes');
    const shown = await system.api('GET', `/v1/inspection_rules/${rule.uuid}`);
    expect(shown.body).toMatchObject({ sensitive: true, conditions: null, actions: null });
    const detail = await system.api('GET', '/v1/inspection_rules?detail=true');
    expect(detail.body.inspection_rules).toEqual([shown.body]);
    expect(detail.text).not.toContain('n0t-for-your-eyes');
    expect(await storedRule(rule.uuid)).toMatchObject({ sensitive: true, conditions, actions });

    // Patching works on the stored values; the answer stays masked.
    const patched = await system.api('PATCH', `/v1/inspection_rules/${rule.uuid}`, [
      { op: 'replace', path: '/actions/0/args/value', value: 'an0ther' },
      { op: 'replace', path: '/description', value: 'BMC credentials' },
    ]);
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      description: 'BMC credentials',
      conditions: null,
      actions: null,
    });
    expect((await storedRule(rule.uuid)).actions[0].args.value).toBe('an0ther');

    const refused = async (patch: unknown[], message: RegExp) => {
      const r = await system.api('PATCH', `/v1/inspection_rules/${rule.uuid}`, patch);
      expect(r.status, r.text).toBe(400);
      expect(faultOf(r.body)).toMatch(message);
    };
    await refused(
      [{ op: 'replace', path: '/sensitive', value: false }],
      /cannot have the sensitive flag unset/,
    );
    await refused([{ op: 'remove', path: '/sensitive' }], /cannot have the sensitive flag unset/);
    await refused(
      [{ op: 'copy', from: '/actions/0/args/value', path: '/description' }],
      /sensitive rule's actions cannot be copied or moved to '\/description'/,
    );
    await refused(
      [{ op: 'test', path: '/actions/0/args/value', value: 'an0ther' }],
      /sensitive rule's actions cannot be tested/,
    );
    // Moving a hidden value where it is invalid names the problem, not the value.
    const moved = await system.api('PATCH', `/v1/inspection_rules/${rule.uuid}`, [
      { op: 'replace', path: '/actions/0/op', value: 'add-trait' },
      { op: 'remove', path: '/actions/0/args/path' },
      { op: 'move', from: '/actions/0/args/value', path: '/actions/0/args/name' },
    ]);
    expect(moved.status, moved.text).toBe(400);
    expect(faultOf(moved.body)).toBe(
      "Inspection rule 'BMC credentials' (" +
        rule.uuid +
        ') is invalid: action 1: add-trait: invalid trait (use A-Z, 0-9 and _)',
    );
    expect(await storedRule(rule.uuid)).toMatchObject({
      description: 'BMC credentials',
      actions: [{ op: 'set-attribute', args: { value: 'an0ther' } }],
    });
  });

  it('answers 404 for rules that do not exist and 400 for identifiers that are no UUID', async () => {
    const unknown = '5f1c2d4e-0000-4000-8000-0000000000cc';
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', [{ op: 'replace', path: '/priority', value: 1 }]],
      ['DELETE', undefined],
    ] as const) {
      const res = await system.api(method, `/v1/inspection_rules/${unknown}`, body);
      expect(res.status, `${method}: ${res.text}`).toBe(404);
      expect(faultOf(res.body)).toBe(`Inspection rule ${unknown} could not be found.`);
      const bad = await system.api(method, '/v1/inspection_rules/not-a-uuid', body);
      expect(bad.status, `${method}: ${bad.text}`).toBe(400);
      expect(faultOf(bad.body)).toMatch(
        /Expected a UUID for the inspection rule, got 'not-a-uuid'/,
      );
    }
  });

  it('deletes one rule, then all of them', async () => {
    const a = await create({ actions: [log('a')] });
    const b = await create({ actions: [log('b')] });
    const c = await create({ actions: [log('c')], sensitive: true });
    const del = await system.api('DELETE', `/v1/inspection_rules/${a.uuid}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await system.api('GET', `/v1/inspection_rules/${a.uuid}`)).status).toBe(404);
    const left = (await system.api('GET', '/v1/inspection_rules')).body.inspection_rules;
    expect(left.map((r: any) => r.uuid)).toEqual([b.uuid, c.uuid]);

    const all = await system.api('DELETE', '/v1/inspection_rules');
    expect(all.status).toBe(204);
    expect((await system.api('GET', '/v1/inspection_rules')).body.inspection_rules).toEqual([]);
  });

  it('applies the stored rules when a lab server is inspected through the real agent', async () => {
    const server = fleet.servers[0]!;
    expect(server.profile.cpus).toBeGreaterThanOrEqual(2);
    await create({
      description: 'lab machines',
      priority: 10,
      conditions: [{ op: 'ge', args: { values: ['{inventory[cpu][count]}', 2] } }],
      actions: [
        { op: 'set-attribute', args: { path: '/extra/rack', value: 'lab-r1' } },
        {
          op: 'set-attribute',
          args: { path: 'extra.cpu_count', value: '{inventory[cpu][count]}' },
        },
        { op: 'set-capability', args: { name: 'lab', value: 'yes' } },
        { op: 'add-trait', args: { name: 'CUSTOM_LAB' } },
      ],
    });
    await create({
      description: 'hidden, applied all the same',
      sensitive: true,
      conditions: [{ op: 'is-true', args: { value: true } }],
      actions: [
        {
          op: 'set-attribute',
          args: { path: '/extra/site_code', value: 'lab-{inventory[cpu][count]}' },
        },
      ],
    });
    await create({
      description: 'big machines only',
      conditions: [{ op: 'ge', args: { values: ['{inventory[cpu][count]}', 1024] } }],
      actions: [
        { op: 'add-trait', args: { name: 'CUSTOM_BIG' } },
        { op: 'set-attribute', args: { path: '/extra/rack', value: 'big' } },
      ],
    });

    const uuid = await enroll(system, server);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'inspect');
    const node = await waitForState(system, uuid, 'manageable', 90_000).catch((e) => {
      throw new Error(`${e.message}\nagent output:\n${host.output().slice(-3000)}`);
    });
    expect(node.last_error).toBeNull();
    expect(node.extra).toEqual({
      rack: 'lab-r1',
      cpu_count: server.profile.cpus,
      site_code: `lab-${server.profile.cpus}`,
    });
    expect(node.properties).toMatchObject({ cpus: server.profile.cpus, capabilities: 'lab:yes' });

    const client = new pg.Client({ connectionString: system.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT traits FROM nodes WHERE uuid = $1', [uuid]);
      expect(rows[0].traits).toEqual(['CUSTOM_LAB']);
    } finally {
      await client.end();
    }

    // A rule that fails inspection: the node goes to 'inspect failed' with the rule's message.
    await create({
      description: 'no lab machines wanted',
      conditions: [{ op: 'eq', args: { values: ['{node.extra[rack]}', 'lab-r1'] } }],
      actions: [{ op: 'fail', args: { msg: 'rack {node.extra[rack]} is closed' } }],
    });
    await setProvision(system, uuid, 'inspect');
    // A failed state keeps its target, so only the state itself is awaited.
    const failed = await waitFor(
      `node ${uuid} in 'inspect failed'`,
      async () => {
        const n = await getNode(system, uuid);
        return n.provision_state === 'inspect failed' ? n : undefined;
      },
      90_000,
    ).catch((e) => {
      throw new Error(`${e.message}\nagent output:\n${host.output().slice(-3000)}`);
    });
    expect(failed.last_error).toMatch(/rack lab-r1 is closed/);
    expect(await getNode(system, uuid)).toMatchObject({ extra: node.extra });
  }, 240_000);
});
