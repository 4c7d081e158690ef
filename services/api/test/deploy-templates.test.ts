import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployTemplatesMatching } from '@ingot/store';
import { TestApi } from './support/test-api.js';

const V = '1.55';
const step = (over: Record<string, unknown> = {}) => ({
  interface: 'bios',
  step: 'apply_configuration',
  args: { settings: [{ name: 'LogicalProc', value: 'Enabled' }] },
  priority: 150,
  ...over,
});

describe('deploy templates (/v1/deploy_templates, API 1.55) as Ironic serves them', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('create, show by UUID and by name, list with fields/detail, patch, delete', async () => {
    const created = await api.call(
      'POST',
      '/v1/deploy_templates',
      { name: 'CUSTOM_HYPERTHREADING_ON', steps: [step({ priority: '150' })], extra: { a: 1 } },
      V,
    );
    expect(created.status, created.fault).toBe(201);
    expect(created.headers.location).toMatch(`/v1/deploy_templates/${created.body.uuid}`);
    expect(created.body).toMatchObject({
      name: 'CUSTOM_HYPERTHREADING_ON',
      steps: [step()],
      extra: { a: 1 },
      updated_at: null,
    });
    const { uuid } = created.body;
    expect((await api.call('GET', `/v1/deploy_templates/${uuid}`, undefined, V)).body.name).toBe(
      'CUSTOM_HYPERTHREADING_ON',
    );
    const byName = await api.call(
      'GET',
      '/v1/deploy_templates/CUSTOM_HYPERTHREADING_ON?fields=steps',
      undefined,
      V,
    );
    expect(Object.keys(byName.body).sort()).toEqual(['links', 'steps']);

    const summary = await api.call('GET', '/v1/deploy_templates', undefined, V);
    expect(summary.body.deploy_templates).toEqual([
      { uuid, name: 'CUSTOM_HYPERTHREADING_ON', links: expect.any(Array) },
    ]);
    const detail = await api.call('GET', '/v1/deploy_templates?detail=true', undefined, V);
    expect(detail.body.deploy_templates[0]).toMatchObject({ steps: [step()], extra: { a: 1 } });

    const patched = await api.call(
      'PATCH',
      `/v1/deploy_templates/${uuid}`,
      [
        { op: 'replace', path: '/name', value: 'CUSTOM_HT_OFF' },
        { op: 'replace', path: '/steps/0/args', value: { settings: [], password: 'x' } },
        { op: 'remove', path: '/extra' },
      ],
      V,
    );
    expect(patched.status, patched.fault).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'CUSTOM_HT_OFF',
      steps: [step({ args: { settings: [], password: '******' } })],
      extra: {},
    });
    expect(patched.body.updated_at).not.toBeNull();

    const gone = await api.call('DELETE', '/v1/deploy_templates/CUSTOM_HT_OFF', undefined, V);
    expect(gone.status).toBe(204);
    const missing = await api.call('GET', `/v1/deploy_templates/${uuid}`, undefined, V);
    expect(missing.status).toBe(404);
    expect(missing.fault).toBe(`Deploy template ${uuid} could not be found.`);
  });

  it('refuses invalid templates with a 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'not-a-trait', steps: [step()] }, "field 'name'"],
      [{ name: `CUSTOM_${'A'.repeat(250)}`, steps: [step()] }, "field 'name'"],
      [{ name: 'CUSTOM_X', steps: [] }, "field 'steps'"],
      [{ name: 'CUSTOM_X' }, "field 'steps' is required"],
      [{ name: 'CUSTOM_X', steps: [step({ interface: 'console' })] }, "field 'steps.0.interface'"],
      [{ name: 'CUSTOM_X', steps: [step({ priority: -1 })] }, "field 'steps.0.priority'"],
      [{ name: 'CUSTOM_X', steps: [step({ args: 'x' })] }, "field 'steps.0.args'"],
      [{ name: 'CUSTOM_X', steps: [step({ step: '' })] }, "field 'steps.0.step'"],
      [{ name: 'CUSTOM_X', steps: [step({ extra: 1 })] }, "field 'steps.0.extra' is not allowed"],
      [{ name: 'CUSTOM_X', steps: [step()], description: 'd' }, "field 'description'"],
    ];
    for (const [body, words] of cases) {
      const res = await api.call('POST', '/v1/deploy_templates', body, V);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.fault).toContain(words);
    }
    const duplicate = await api.call(
      'POST',
      '/v1/deploy_templates',
      { name: 'CUSTOM_X', steps: [step(), step({ priority: 10 })] },
      V,
    );
    expect(duplicate.status).toBe(400);
    expect(duplicate.fault).toContain(
      'Duplicate deploy steps. A template cannot have multiple deploy steps with the same interface and step. Duplicates: interface: bios, step: apply_configuration',
    );
  });

  it('answers 409 for a name or UUID taken, and refuses patches of read-only or invalid fields', async () => {
    const first = await api.call(
      'POST',
      '/v1/deploy_templates',
      { name: 'CUSTOM_TAKEN', steps: [step()] },
      V,
    );
    expect(first.status).toBe(201);
    const again = await api.call(
      'POST',
      '/v1/deploy_templates',
      { name: 'CUSTOM_TAKEN', steps: [step()] },
      V,
    );
    expect(again.status).toBe(409);
    expect(again.fault).toBe('A deploy template with name CUSTOM_TAKEN already exists.');
    const sameUuid = await api.call(
      'POST',
      '/v1/deploy_templates',
      { uuid: first.body.uuid, name: 'CUSTOM_OTHER', steps: [step()] },
      V,
    );
    expect(sameUuid.status).toBe(409);
    expect(sameUuid.fault).toBe(`A deploy template with UUID ${first.body.uuid} already exists.`);

    await api.call('POST', '/v1/deploy_templates', { name: 'CUSTOM_SECOND', steps: [step()] }, V);
    const rename = await api.call(
      'PATCH',
      '/v1/deploy_templates/CUSTOM_SECOND',
      [{ op: 'replace', path: '/name', value: 'CUSTOM_TAKEN' }],
      V,
    );
    expect(rename.status).toBe(409);
    const readOnly = await api.call(
      'PATCH',
      '/v1/deploy_templates/CUSTOM_SECOND',
      [{ op: 'replace', path: '/uuid', value: first.body.uuid }],
      V,
    );
    expect(readOnly.status).toBe(400);
    expect(readOnly.fault).toContain('Only the following can be updated: name, steps, extra');
    const emptied = await api.call(
      'PATCH',
      '/v1/deploy_templates/CUSTOM_SECOND',
      [{ op: 'replace', path: '/steps', value: [] }],
      V,
    );
    expect(emptied.status).toBe(400);
    expect(emptied.fault).toContain("field 'steps'");
    const badStep = await api.call(
      'PATCH',
      '/v1/deploy_templates/CUSTOM_SECOND',
      [{ op: 'replace', path: '/steps/0/priority', value: 'high' }],
      V,
    );
    expect(badStep.status).toBe(400);
    expect(badStep.fault).toContain("field 'steps.0.priority'");
  });

  it('pages with limit and marker, and refuses unknown query parameters and sort keys', async () => {
    for (const n of [1, 2, 3])
      await api.call(
        'POST',
        '/v1/deploy_templates',
        { name: `CUSTOM_PAGE_${n}`, steps: [step()] },
        V,
      );
    const all = (await api.call('GET', '/v1/deploy_templates?sort_key=name', undefined, V)).body
      .deploy_templates;
    const first = await api.call('GET', '/v1/deploy_templates?sort_key=name&limit=2', undefined, V);
    expect(first.body.deploy_templates).toEqual(all.slice(0, 2));
    expect(first.body.next).toContain(`marker=${all[1].uuid}`);
    const next = await api.call(
      'GET',
      `/v1/deploy_templates?sort_key=name&limit=2&marker=${all[1].uuid}`,
      undefined,
      V,
    );
    expect(next.body.deploy_templates).toEqual(all.slice(2, 4));
    const unknown = await api.call('GET', '/v1/deploy_templates?nmae=x', undefined, V);
    expect(unknown.status).toBe(400);
    expect(unknown.fault).toContain('nmae');
    const badSort = await api.call('GET', '/v1/deploy_templates?sort_key=steps', undefined, V);
    expect(badSort.status).toBe(400);
  });

  it('does not exist below 1.55: 404 for GET, 405 for changes', async () => {
    expect((await api.call('GET', '/v1/deploy_templates', undefined, '1.54')).status).toBe(404);
    const post = await api.call(
      'POST',
      '/v1/deploy_templates',
      { name: 'CUSTOM_OLD', steps: [step()] },
      '1.54',
    );
    expect(post.status).toBe(405);
  });

  it('deployTemplatesMatching returns the templates named by the traits', async () => {
    await api.call('POST', '/v1/deploy_templates', { name: 'CUSTOM_MATCH_A', steps: [step()] }, V);
    await api.call('POST', '/v1/deploy_templates', { name: 'CUSTOM_MATCH_B', steps: [step()] }, V);
    const found = await deployTemplatesMatching(api.db, [
      'CUSTOM_MATCH_B',
      'CUSTOM_NONE',
      'CUSTOM_MATCH_A',
    ]);
    expect(found.map((t) => t.name)).toEqual(['CUSTOM_MATCH_A', 'CUSTOM_MATCH_B']);
    expect(found[0]!.steps).toEqual([step()]);
    expect(await deployTemplatesMatching(api.db, [])).toEqual([]);
  });
});
