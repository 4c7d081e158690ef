import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { nodes } from '@ingot/store';
import { TestApi } from './support/test-api.js';

const V = '1.60';

describe('allocations (/v1/allocations, API 1.52) reserve available nodes, as Ironic', () => {
  let api: TestApi;
  let count = 0;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(async () => {
    await api?.stop();
  });

  /** An available, powered node of `resourceClass` with `traits`; returns its uuid. */
  async function availableNode(
    resourceClass: string,
    traits: string[] = [],
    changes: Partial<typeof nodes.$inferInsert> = {},
  ): Promise<string> {
    const uuid = await api.node(`alloc-node-${++count}`);
    await api.db
      .update(nodes)
      .set({
        provisionState: 'available',
        powerState: 'power off',
        resourceClass,
        traits,
        ...changes,
      })
      .where(eq(nodes.uuid, uuid));
    return uuid;
  }
  const node = async (uuid: string) =>
    (await api.call('GET', `/v1/nodes/${uuid}`, undefined, V)).body;

  it('reserves a matching node: the allocation is active, the node shows allocation_uuid and instance_uuid', async () => {
    await availableNode('rc-small', ['CUSTOM_GPU']);
    const wanted = await availableNode('rc-small', ['CUSTOM_GPU', 'CUSTOM_NVME']);
    await availableNode('rc-small', ['CUSTOM_NVME'], { maintenance: true });
    const res = await api.call(
      'POST',
      '/v1/allocations',
      { resource_class: 'rc-small', traits: ['CUSTOM_NVME'], name: 'alloc-1', extra: { x: 1 } },
      V,
    );
    expect(res.status, res.fault).toBe(201);
    expect(res.body).toMatchObject({
      name: 'alloc-1',
      state: 'active',
      node_uuid: wanted,
      last_error: null,
      resource_class: 'rc-small',
      traits: ['CUSTOM_NVME'],
      candidate_nodes: [],
      extra: { x: 1 },
      owner: null,
    });
    const { uuid } = res.body;
    expect(await node(wanted)).toMatchObject({ allocation_uuid: uuid, instance_uuid: uuid });
    expect((await api.call('GET', `/v1/nodes/${wanted}/allocation`, undefined, V)).body.uuid).toBe(
      uuid,
    );
    expect((await api.call('GET', '/v1/allocations/alloc-1', undefined, V)).body.uuid).toBe(uuid);
    const listed = await api.call('GET', `/v1/allocations?node=${wanted}`, undefined, V);
    expect(listed.body.allocations.map((a: { uuid: string }) => a.uuid)).toEqual([uuid]);
    const byState = await api.call(
      'GET',
      '/v1/allocations?state=active&resource_class=rc-small',
      undefined,
      V,
    );
    expect(byState.body.allocations).toHaveLength(1);

    // Deleting it frees the node.
    expect((await api.call('DELETE', '/v1/allocations/alloc-1', undefined, V)).status).toBe(204);
    expect(await node(wanted)).toMatchObject({ allocation_uuid: null, instance_uuid: null });
    expect((await api.call('GET', `/v1/nodes/${wanted}/allocation`, undefined, V)).status).toBe(
      404,
    );
  });

  it('records why no node matched: resource class, traits, candidates', async () => {
    const free = await availableNode('rc-reason', ['CUSTOM_A']);
    const noClass = await api.call('POST', '/v1/allocations', { resource_class: 'rc-none' }, V);
    expect(noClass.status).toBe(201);
    expect(noClass.body).toMatchObject({ state: 'error', node_uuid: null });
    expect(noClass.body.last_error).toBe(
      `Failed to process allocation ${noClass.body.uuid}: no available nodes match the resource class rc-none.`,
    );
    const noTraits = await api.call(
      'POST',
      '/v1/allocations',
      { resource_class: 'rc-reason', traits: ['CUSTOM_B'] },
      V,
    );
    expect(noTraits.body.last_error).toBe(
      `Failed to process allocation ${noTraits.body.uuid}: no suitable nodes have the requested traits CUSTOM_B.`,
    );
    const other = await api.node(`alloc-other-${++count}`);
    const notCandidate = await api.call(
      'POST',
      '/v1/allocations',
      { resource_class: 'rc-reason', candidate_nodes: [`alloc-other-${count}`] },
      V,
    );
    expect(notCandidate.body.candidate_nodes).toEqual([other]);
    expect(notCandidate.body.last_error).toContain(
      'none of the requested nodes are available and match the resource class rc-reason',
    );
    const candidate = await api.call(
      'POST',
      '/v1/allocations',
      { resource_class: 'rc-reason', candidate_nodes: [other, free] },
      V,
    );
    expect(candidate.body).toMatchObject({ state: 'active', node_uuid: free });
    // An allocation in error holds no node and is deleted as is.
    expect(
      (await api.call('DELETE', `/v1/allocations/${noClass.body.uuid}`, undefined, V)).status,
    ).toBe(204);
  });

  it('ten allocations racing for five matching nodes: five active on distinct nodes, five in error', async () => {
    const free = new Set<string>();
    for (let i = 0; i < 5; i++) free.add(await availableNode('rc-race', ['CUSTOM_RACE']));
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api.call(
          'POST',
          '/v1/allocations',
          { resource_class: 'rc-race', traits: ['CUSTOM_RACE'], name: `race-${i}` },
          V,
        ),
      ),
    );
    expect(
      answers.map((a) => a.status),
      answers.map((a) => a.fault).join('\n'),
    ).toEqual(Array(10).fill(201));
    const active = answers.filter((a) => a.body.state === 'active');
    const failed = answers.filter((a) => a.body.state === 'error');
    expect(active).toHaveLength(5);
    expect(failed).toHaveLength(5);
    expect(new Set(active.map((a) => a.body.node_uuid))).toEqual(free);
    for (const a of failed)
      expect(a.body.last_error).toContain('no available nodes match the resource class rc-race');
    for (const a of active)
      expect(await node(a.body.node_uuid)).toMatchObject({
        allocation_uuid: a.body.uuid,
        instance_uuid: a.body.uuid,
      });
  });

  it('validates the request: 400 naming the field, 409 for a name taken', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'The resource_class field is mandatory when not backfilling'],
      [{ resource_class: 'x', traits: ['lower'] }, "field 'traits.0'"],
      [{ resource_class: 'x', name: 'bad name' }, "field 'name'"],
      [{ resource_class: 'x', uuid: 'nope' }, "field 'uuid'"],
      [{ resource_class: 'x', node: 'n' }, "field 'node' is not allowed"],
      [
        { resource_class: 'x', candidate_nodes: ['no-such-node'] },
        'Node no-such-node could not be found.',
      ],
    ];
    for (const [body, words] of cases) {
      const res = await api.call('POST', '/v1/allocations', body, V);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.fault).toContain(words);
    }
    expect(
      (await api.call('POST', '/v1/allocations', { resource_class: 'x', name: 'taken' }, V)).status,
    ).toBe(201);
    const again = await api.call(
      'POST',
      '/v1/allocations',
      { resource_class: 'x', name: 'taken' },
      V,
    );
    expect(again.status).toBe(409);
    expect(again.fault).toBe('An allocation with name taken already exists.');
    expect((await api.call('GET', '/v1/allocations/nope-nope', undefined, V)).status).toBe(404);
    const badFilter = await api.call('GET', '/v1/allocations?state=busy', undefined, V);
    expect(badFilter.status).toBe(400);
    const unknownParam = await api.call('GET', '/v1/allocations?stat=active', undefined, V);
    expect(unknownParam.status).toBe(400);
  });

  it('PATCH changes name and extra only (1.57)', async () => {
    const created = await api.call(
      'POST',
      '/v1/allocations',
      { resource_class: 'x', name: 'p-1' },
      V,
    );
    const patched = await api.call(
      'PATCH',
      '/v1/allocations/p-1',
      [
        { op: 'replace', path: '/name', value: 'p-2' },
        { op: 'add', path: '/extra/k', value: 'v' },
      ],
      V,
    );
    expect(patched.status, patched.fault).toBe(200);
    expect(patched.body).toMatchObject({ uuid: created.body.uuid, name: 'p-2', extra: { k: 'v' } });
    const refused = await api.call(
      'PATCH',
      '/v1/allocations/p-2',
      [{ op: 'replace', path: '/resource_class', value: 'y' }],
      V,
    );
    expect(refused.status).toBe(400);
    expect(refused.fault).toContain('Only the following can be updated: name, extra');
    const old = await api.call(
      'PATCH',
      '/v1/allocations/p-2',
      [{ op: 'remove', path: '/name' }],
      '1.56',
    );
    expect(old.status).toBe(405);
  });

  it('refuses to free an active node out of maintenance (409), allows it in maintenance', async () => {
    const uuid = await availableNode('rc-active');
    const created = await api.call('POST', '/v1/allocations', { resource_class: 'rc-active' }, V);
    expect(created.body.node_uuid).toBe(uuid);
    await api.db.update(nodes).set({ provisionState: 'active' }).where(eq(nodes.uuid, uuid));
    const refused = await api.call('DELETE', `/v1/nodes/${uuid}/allocation`, undefined, V);
    expect(refused.status).toBe(409);
    expect(refused.fault).toBe(
      `Cannot remove allocation ${created.body.uuid} for node ${uuid}, because the node is active (and maintenance mode is off)`,
    );
    await api.db
      .update(nodes)
      .set({ provisionState: 'deploying', targetProvisionState: 'active' })
      .where(eq(nodes.uuid, uuid));
    const busy = await api.call('DELETE', `/v1/allocations/${created.body.uuid}`, undefined, V);
    expect(busy.status).toBe(409);
    expect(busy.fault).toContain(
      'because the node is in state deploying where updates are not allowed',
    );
    await api.db.update(nodes).set({ maintenance: true }).where(eq(nodes.uuid, uuid));
    expect((await api.call('DELETE', `/v1/nodes/${uuid}/allocation`, undefined, V)).status).toBe(
      204,
    );
    expect(await node(uuid)).toMatchObject({ allocation_uuid: null, instance_uuid: null });
  });

  it('deleting a node deletes its allocation', async () => {
    const uuid = await availableNode('rc-gone');
    const created = await api.call('POST', '/v1/allocations', { resource_class: 'rc-gone' }, V);
    await api.db.update(nodes).set({ provisionState: 'manageable' }).where(eq(nodes.uuid, uuid));
    expect((await api.call('DELETE', `/v1/nodes/${uuid}`, undefined, V)).status).toBe(204);
    expect(
      (await api.call('GET', `/v1/allocations/${created.body.uuid}`, undefined, V)).status,
    ).toBe(404);
  });

  it('does not exist below 1.52; owner is hidden below 1.60', async () => {
    expect((await api.call('GET', '/v1/allocations', undefined, '1.51')).status).toBe(404);
    expect(
      (await api.call('POST', '/v1/allocations', { resource_class: 'x' }, '1.51')).status,
    ).toBe(405);
    const n = await api.node(`alloc-v-${++count}`);
    expect((await api.call('GET', `/v1/nodes/${n}/allocation`, undefined, '1.51')).status).toBe(
      404,
    );
    const old = await api.call('POST', '/v1/allocations', { resource_class: 'x' }, '1.52');
    expect(old.status).toBe(201);
    expect(old.body).not.toHaveProperty('owner');
    expect(
      (await api.call('POST', '/v1/allocations', { resource_class: 'x', owner: 'p' }, '1.59'))
        .status,
    ).toBe(406);
    expect((await api.call('GET', '/v1/allocations?owner=p', undefined, '1.59')).status).toBe(406);
    expect((await api.call('GET', `/v1/nodes/${n}`, undefined, '1.51')).body).not.toHaveProperty(
      'allocation_uuid',
    );
  });
});
