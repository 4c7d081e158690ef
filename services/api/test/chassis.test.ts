import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestApi } from './support/test-api.js';

const V = '1.78';

describe('chassis (/v1/chassis) and the chassis_uuid of nodes, as Ironic', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('create, list, show, patch; nodes join it on create and patch; delete refused while it has nodes', async () => {
    const created = await api.call('POST', '/v1/chassis', {
      description: 'rack 1',
      extra: { row: 'a' },
    });
    expect(created.status, created.fault).toBe(201);
    const { uuid } = created.body;
    expect(created.body).toMatchObject({
      description: 'rack 1',
      extra: { row: 'a' },
      updated_at: null,
    });
    expect(created.body.nodes[0].href).toMatch(`/v1/chassis/${uuid}/nodes`);

    const list = await api.call('GET', '/v1/chassis');
    expect(list.body.chassis).toEqual([{ uuid, description: 'rack 1', links: expect.any(Array) }]);
    const detail = await api.call('GET', '/v1/chassis/detail');
    expect(detail.body.chassis[0]).toMatchObject({ extra: { row: 'a' } });
    const fields = await api.call('GET', `/v1/chassis/${uuid}?fields=extra`);
    expect(Object.keys(fields.body).sort()).toEqual(['extra', 'links']);

    const patched = await api.call('PATCH', `/v1/chassis/${uuid}`, [
      { op: 'replace', path: '/description', value: 'rack 2' },
    ]);
    expect(patched.body).toMatchObject({ description: 'rack 2' });
    const readOnly = await api.call('PATCH', `/v1/chassis/${uuid}`, [
      { op: 'replace', path: '/uuid', value: uuid },
    ]);
    expect(readOnly.status).toBe(400);
    const tooLong = await api.call('PATCH', `/v1/chassis/${uuid}`, [
      { op: 'replace', path: '/description', value: 'x'.repeat(256) },
    ]);
    expect(tooLong.status).toBe(400);
    expect(tooLong.fault).toContain("field 'description'");

    const member = await api.call('POST', '/v1/nodes', {
      name: 'in-chassis',
      driver: 'fake-hardware',
      chassis_uuid: uuid,
    });
    expect(member.status, member.fault).toBe(201);
    expect(member.body.chassis_uuid).toBe(uuid);
    const other = await api.node('outside-chassis');
    expect(
      (
        await api.call('PATCH', `/v1/nodes/${other}`, [
          { op: 'add', path: '/chassis_uuid', value: uuid },
        ])
      ).body.chassis_uuid,
    ).toBe(uuid);

    const nodes = await api.call('GET', `/v1/chassis/${uuid}/nodes`, undefined, V);
    expect(nodes.body.nodes.map((n: { name: string }) => n.name).sort()).toEqual([
      'in-chassis',
      'outside-chassis',
    ]);
    const filtered = await api.call('GET', `/v1/nodes?chassis_uuid=${uuid}`, undefined, V);
    expect(filtered.body.nodes).toHaveLength(2);

    const refused = await api.call('DELETE', `/v1/chassis/${uuid}`);
    expect(refused.status).toBe(400);
    expect(refused.fault).toBe(
      `Cannot complete the requested action because chassis ${uuid} contains nodes.`,
    );
    await api.call('PATCH', `/v1/nodes/${other}`, [{ op: 'remove', path: '/chassis_uuid' }]);
    await api.call('DELETE', '/v1/nodes/in-chassis');
    expect((await api.call('DELETE', `/v1/chassis/${uuid}`)).status).toBe(204);
    expect((await api.call('GET', `/v1/chassis/${uuid}`)).status).toBe(404);
  });

  it('an unknown chassis is a 400 on node create and patch, a 404 for its node list', async () => {
    const ghost = '3c0e1f4a-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
    const create = await api.call('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      chassis_uuid: ghost,
    });
    expect(create.status).toBe(400);
    expect(create.fault).toBe(`Chassis ${ghost} could not be found.`);
    const n = await api.node('chassis-less');
    const patch = await api.call('PATCH', `/v1/nodes/${n}`, [
      { op: 'add', path: '/chassis_uuid', value: ghost },
    ]);
    expect(patch.status).toBe(400);
    expect(patch.fault).toBe(`Chassis ${ghost} could not be found.`);
    expect((await api.call('GET', `/v1/chassis/${ghost}/nodes`)).status).toBe(404);
    expect((await api.call('GET', '/v1/chassis/not-a-uuid')).status).toBe(400);
    const bad = await api.call('POST', '/v1/chassis', { name: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.fault).toContain("field 'name' is not allowed");
  });
});

describe('inject_nmi (PUT /v1/nodes/{node}/management/inject_nmi, API 1.29)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('answers as Ironic for a management interface without it, and 404 below 1.29', async () => {
    const n = await api.node('nmi-node');
    const res = await api.call('PUT', `/v1/nodes/${n}/management/inject_nmi`, {});
    expect(res.status).toBe(400);
    expect(res.fault).toBe(
      'Driver fake-hardware does not support inject_nmi (disabled or not implemented).',
    );
    const old = await api.call('PUT', `/v1/nodes/${n}/management/inject_nmi`, {}, '1.28');
    expect(old.status).toBe(404);
  });
});
