import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { booleanFieldOf } from '@ingot/node-commands';
import { portgroups, ports } from '@ingot/store';
import { TestApi } from './support/test-api.js';

describe("booleanFieldOf reads a boolean as oslo's strict bool_from_string", () => {
  it.each([
    [true, true],
    [false, false],
    ['True', true],
    ['False', false],
    [' yes ', true],
    ['OFF', false],
    ['1', true],
    ['0', false],
    ['t', true],
    ['n', false],
  ])('%j is %s', (value, expected) => {
    expect(booleanFieldOf('pxe_enabled', value)).toBe(expected);
  });

  it.each([['maybe'], [''], [1], [0], [null], [{}]])('refuses %j naming the field', (value) => {
    expect(() => booleanFieldOf('pxe_enabled', value)).toThrow(
      /^Invalid pxe_enabled: Unrecognized value .*, acceptable values are: 0, 1, f, false, n, no, off, on, t, true, y, yes$/,
    );
  });
});

describe('boolean fields of ports and port groups take the strings python-ironicclient sends', () => {
  let api: TestApi;
  let node: string;

  beforeAll(async () => {
    api = await TestApi.start();
    node = await api.node('booleans');
  });
  afterAll(async () => {
    await api?.stop();
  });

  const stored = async (uuid: string) =>
    (await api.db.select().from(ports).where(eq(ports.uuid, uuid)))[0]!;

  it('a port created with "False" and "true" stores real booleans', async () => {
    const res = await api.call('POST', '/v1/ports', {
      node_uuid: node,
      address: '52:54:00:0b:00:01',
      pxe_enabled: 'False',
      is_smartnic: 'true',
    });
    expect(res.status, res.fault).toBe(201);
    expect(res.body).toMatchObject({ pxe_enabled: false, is_smartnic: true });
    const row = await stored(res.body.uuid);
    expect([row.pxeEnabled, row.isSmartnic]).toEqual([false, true]);
  });

  it('a port patched with "False" and "True" (port set --pxe-disabled --is-smartnic) reads them back', async () => {
    const created = await api.call('POST', '/v1/ports', {
      node_uuid: node,
      address: '52:54:00:0b:00:02',
    });
    const uuid = created.body.uuid;
    expect(created.body).toMatchObject({ pxe_enabled: true, is_smartnic: false });
    const patched = await api.call('PATCH', `/v1/ports/${uuid}`, [
      { op: 'add', path: '/pxe_enabled', value: 'False' },
      { op: 'add', path: '/is_smartnic', value: 'True' },
    ]);
    expect(patched.status, patched.fault).toBe(200);
    expect(patched.body).toMatchObject({ pxe_enabled: false, is_smartnic: true });
    expect((await api.call('GET', `/v1/ports/${uuid}`)).body).toMatchObject({
      pxe_enabled: false,
      is_smartnic: true,
    });
    const row = await stored(uuid);
    expect([row.pxeEnabled, row.isSmartnic]).toEqual([false, true]);

    const back = await api.call('PATCH', `/v1/ports/${uuid}`, [
      { op: 'replace', path: '/pxe_enabled', value: 'yes' },
      { op: 'replace', path: '/is_smartnic', value: false },
    ]);
    expect(back.body).toMatchObject({ pxe_enabled: true, is_smartnic: false });
  });

  it('anything else is a 400 naming the field, and nothing changes', async () => {
    const created = await api.call('POST', '/v1/ports', {
      node_uuid: node,
      address: '52:54:00:0b:00:03',
    });
    const uuid = created.body.uuid;
    for (const [field, value] of [
      ['pxe_enabled', 'maybe'],
      ['is_smartnic', 'sure'],
      ['pxe_enabled', 2],
    ] as const) {
      const patched = await api.call('PATCH', `/v1/ports/${uuid}`, [
        { op: 'replace', path: `/${field}`, value },
      ]);
      expect(patched.status).toBe(400);
      expect(patched.fault).toMatch(new RegExp(`^Invalid ${field}: Unrecognized value`));
    }
    expect(await stored(uuid)).toMatchObject({ pxeEnabled: true, isSmartnic: false });

    const bad = await api.call('POST', '/v1/ports', {
      node_uuid: node,
      address: '52:54:00:0b:00:04',
      pxe_enabled: 'nope',
    });
    expect(bad.status).toBe(400);
    expect(bad.fault).toMatch(/^Invalid pxe_enabled: Unrecognized value "nope"/);
    expect(await api.db.select().from(ports).where(eq(ports.address, '52:54:00:0b:00:04'))).toEqual(
      [],
    );
  });

  it("a port group's standalone_ports_supported reads the strings the same way", async () => {
    const created = await api.call('POST', '/v1/portgroups', {
      node_uuid: node,
      name: 'bond0',
      standalone_ports_supported: 'no',
    });
    expect(created.status, created.fault).toBe(201);
    expect(created.body.standalone_ports_supported).toBe(false);
    const uuid = created.body.uuid;
    const patched = await api.call('PATCH', `/v1/portgroups/${uuid}`, [
      { op: 'replace', path: '/standalone_ports_supported', value: 'True' },
    ]);
    expect(patched.body.standalone_ports_supported).toBe(true);
    const bad = await api.call('PATCH', `/v1/portgroups/${uuid}`, [
      { op: 'replace', path: '/standalone_ports_supported', value: 'perhaps' },
    ]);
    expect(bad.status).toBe(400);
    expect(bad.fault).toMatch(/^Invalid standalone_ports_supported: Unrecognized value "perhaps"/);
    const [row] = await api.db.select().from(portgroups).where(eq(portgroups.uuid, uuid));
    expect(row!.standalonePortsSupported).toBe(true);
  });
});
