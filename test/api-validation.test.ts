import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, Installation } from '@ingot/lab';
import { enroll, setPower, setProvision, waitForPower, waitForState } from './support/nodes.js';

const faultOf = (body: any): string => JSON.parse(body.error_message).faultstring;

describe('API input checking and secrets', () => {
  let system: Installation;
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ count: 1, password: `S3cret-${randomBytes(6).toString('hex')}` });
    system = await Installation.start();
  });
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  it.each([
    ['a missing driver', {}, /field 'driver' is required/],
    [
      'an unknown driver',
      { driver: 'bogus' },
      /field 'driver' must be equal to one of the allowed values: redfish, ipmi, fake-hardware/,
    ],
    ['an unknown field', { driver: 'redfish', colour: 'red' }, /field 'colour' is not allowed/],
    ['a bad name', { driver: 'fake-hardware', name: 'no spaces allowed' }, /field 'name'/],
    [
      'a conductor group with a dot',
      { driver: 'fake-hardware', conductor_group: 'site.a' },
      /field 'conductor_group'/,
    ],
    [
      'a redfish_address of the wrong type',
      { driver: 'redfish', driver_info: { redfish_address: 5 } },
      /driver_info\.redfish_address/,
    ],
    [
      'a bad redfish_auth_type',
      {
        driver: 'redfish',
        driver_info: { redfish_address: 'http://127.0.0.1:1', redfish_auth_type: 'magic' },
      },
      /driver_info\.redfish_auth_type/,
    ],
  ])(
    'creating a node with %s is refused with 400 naming the field',
    async (_what, body, message) => {
      const res = await system.api('POST', '/v1/nodes', body);
      expect(res.status).toBe(400);
      expect(faultOf(res.body)).toMatch(message);
      expect(JSON.parse(res.body.error_message).faultcode).toBe('Client');
    },
  );

  it.each([
    '/v1/nodes?provison_state=active',
    '/v1/nodes/detail?bogus=1',
    '/v1/ports?nodes=x',
    '/v1/portgroups?colour=red',
    '/v1/drivers?typ=dynamic',
    '/v1/inspection_rules?phas=main',
    '/v1/lookup?addresses=52:54:00:00:00:01&extra=1',
  ])('a query parameter the route does not know gets 400 naming it: %s', async (path) => {
    const res = await system.api('GET', path);
    expect(res.status, res.text).toBe(400);
    const name = path.split('&').at(-1)!.split('?').at(-1)!.split('=')[0]!;
    expect(faultOf(res.body)).toContain(`field '${name}' is not allowed`);
  });

  it('malformed JSON, bad verbs and bad power targets get 400; unknown nodes 404; duplicate names 409', async () => {
    const malformed = await fetch(`${system.apiUrl}/v1/nodes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"driver":',
    });
    expect(malformed.status).toBe(400);
    const protoPoisoned = await fetch(`${system.apiUrl}/v1/nodes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"driver":"fake-hardware","__proto__":{"admin":true}}',
    });
    expect(protoPoisoned.status).toBe(400);
    // An empty JSON body (python-ironicclient sends some) reaches the schema, which names it.
    const empty = await fetch(`${system.apiUrl}/v1/nodes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(empty.status).toBe(400);
    expect(faultOf(await empty.json())).toMatch(/body/);

    const created = await system.api('POST', '/v1/nodes', {
      driver: 'redfish',
      name: 'no-bmc-yet',
    });
    expect(created.status).toBe(201);
    const dance = await system.api('PUT', '/v1/nodes/no-bmc-yet/states/provision', {
      target: 'dance',
    });
    expect(dance.status).toBe(400);
    expect(faultOf(dance.body)).toMatch(/'target'.*'dance'/);
    const noTarget = await system.api('PUT', '/v1/nodes/no-bmc-yet/states/provision', {});
    expect(faultOf(noTarget.body)).toMatch(/field 'target' is required/);
    const explode = await system.api('PUT', '/v1/nodes/no-bmc-yet/states/power', {
      target: 'explode',
    });
    expect(explode.status).toBe(400);
    expect(faultOf(explode.body)).toMatch(/field 'target'/);
    const manage = await system.api('PUT', '/v1/nodes/no-bmc-yet/states/provision', {
      target: 'manage',
    });
    expect(manage.status).toBe(400);
    expect(faultOf(manage.body)).toMatch(/field 'driver_info.redfish_address' is required/);

    expect((await system.api('GET', '/v1/nodes/does-not-exist')).status).toBe(404);
    const again = await system.api('POST', '/v1/nodes', { driver: 'redfish', name: 'no-bmc-yet' });
    expect(again.status).toBe(409);
  });

  it('the BMC password is never returned by the API, stored in clear, or written to any log', async () => {
    const server = fleet.servers[0]!;
    const password = server.password;
    const uuid = await enroll(system, server);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setPower(system, uuid, 'power on');
    await waitForPower(system, uuid, 'power on');

    const responses = await Promise.all([
      system.api('GET', `/v1/nodes/${uuid}`),
      system.api('GET', '/v1/nodes/detail'),
      system.api('GET', '/v1/nodes?detail=true'),
      system.api('GET', `/v1/nodes/${uuid}/history`),
    ]);
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(password);
    }
    expect(responses[0]!.body.driver_info.redfish_password).toBe('******');

    const client = new pg.Client({ connectionString: system.databaseUrl });
    await client.connect();
    const dump = await client.query(`SELECT row_to_json(n)::text AS row FROM nodes n`);
    const outbox = await client.query(`SELECT payload::text AS row FROM outbox`);
    await client.end();
    for (const r of [...dump.rows, ...outbox.rows]) expect(r.row).not.toContain(password);

    expect(system.logs().length).toBeGreaterThan(0);
    expect(system.logs()).not.toContain(password);
  });

  describe('input PostgreSQL cannot store is refused with 400 naming the field, never a 500', () => {
    const create = (body: Record<string, unknown>) =>
      system.api('POST', '/v1/nodes', { driver: 'fake-hardware', ...body });

    it.each([
      ['a NUL in a text field', { description: 'a\u0000b' }, /field 'description' contains a NUL/],
      [
        'a NUL deep in extra',
        { extra: { a: { b: ['x\u0000'] } } },
        /field 'extra.a.b.0' contains a NUL/,
      ],
      ['a lone surrogate', { owner: 'x\ud800y' }, /field 'owner' contains a lone UTF-16 surrogate/],
      [
        'a lone low surrogate in a key',
        { extra: { '\udc00': 1 } },
        /a key in 'extra' contains a lone/,
      ],
    ])('creating a node with %s', async (_name, body, message) => {
      const res = await create(body);
      expect(res.status, res.text).toBe(400);
      expect(faultOf(res.body)).toMatch(message);
    });

    it('keeps what is valid Unicode: a surrogate pair, an emoji, accents', async () => {
      const res = await create({ description: 'ok 😀 é \ud83d\ude00' });
      expect(res.status, res.text).toBe(201);
      expect(res.body.description).toBe('ok 😀 é 😀');
    });

    it('refuses JSON nested 5000 levels deep', async () => {
      const deep = '['.repeat(5000) + ']'.repeat(5000);
      const res = await fetch(`${system.apiUrl}/v1/nodes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"driver":"fake-hardware","extra":{"a":${deep}}}`,
      });
      expect(res.status).toBe(400);
      expect(faultOf(await res.json())).toMatch(
        /field 'extra.a.0' is nested deeper than 64 levels/,
      );
    });

    it.each([
      ['/v1/nodes/a%00b', /Invalid request path: field 'node_ident' contains a NUL/],
      ['/v1/nodes?fault=%00', /Invalid request query: field 'fault' contains a NUL/],
      ['/v1/nodes?sort_key=__proto__', /sort_key value __proto__ is an invalid field/],
      ['/v1/nodes?sort_key=constructor', /sort_key value constructor is an invalid field/],
      ['/v1/ports?sort_key=__proto__', /sort_key value __proto__ is an invalid field/],
      ['/v1/portgroups?sort_key=toString', /sort_key value toString is an invalid field/],
    ])('GET %s', async (path, message) => {
      const res = await system.api('GET', path);
      expect(res.status, res.text).toBe(400);
      expect(faultOf(res.body)).toMatch(message);
    });

    it('logged no internal error for any of them', () => {
      expect(system.logs()).not.toMatch(/"msg":"request failed"/);
    });
  });
});
