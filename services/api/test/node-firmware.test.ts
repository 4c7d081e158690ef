import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFirmwareComponents } from '@ingot/store';
import { TestApi } from './support/test-api.js';

const V = '1.86';

describe('GET /v1/nodes/{node}/firmware (API 1.86)', () => {
  let api: TestApi;
  let node: string;
  let none: string;

  beforeAll(async () => {
    api = await TestApi.start();
    node = await api.node('flashed', 'redfish');
    none = await api.node('unread');
    await recordFirmwareComponents(api.db, node, [
      { component: 'bios', current_version: '2.10.2' },
      { component: 'bmc', current_version: '5.10.00' },
    ]);
    await recordFirmwareComponents(
      api.db,
      node,
      [{ component: 'bios', current_version: '2.11.0' }],
      {
        flashed: ['bios'],
      },
    );
  });
  afterAll(async () => {
    await api?.stop();
  });

  it("lists the node's components with their versions and dates, by uuid or name", async () => {
    for (const ident of [node, 'flashed']) {
      const res = await api.call('GET', `/v1/nodes/${ident}/firmware`, undefined, V);
      expect(res.status, res.fault).toBe(200);
      expect(res.body.firmware).toEqual([
        {
          component: 'bios',
          initial_version: '2.10.2',
          current_version: '2.11.0',
          last_version_flashed: '2.11.0',
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
        {
          component: 'bmc',
          initial_version: '5.10.00',
          current_version: '5.10.00',
          last_version_flashed: null,
          created_at: expect.any(String),
          updated_at: null,
        },
      ]);
    }
    const empty = await api.call('GET', `/v1/nodes/${none}/firmware`, undefined, V);
    expect(empty.body).toEqual({ firmware: [] });
  });

  it('fields= picks fields; created_at and updated_at are always there', async () => {
    const res = await api.call(
      'GET',
      `/v1/nodes/${node}/firmware?fields=component,current_version`,
      undefined,
      V,
    );
    expect(res.body.firmware[0]).toEqual({
      component: 'bios',
      current_version: '2.11.0',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
  });

  it('refuses what Ironic refuses', async () => {
    const old = await api.call('GET', `/v1/nodes/${node}/firmware`, undefined, '1.85');
    expect(old.status).toBe(404);
    const identity = await api.call(
      'GET',
      `/v1/nodes/${node}/firmware?fields=component,model`,
      undefined,
      V,
    );
    expect(identity.status).toBe(400);
    expect(identity.fault).toMatch(/Fields model are not allowed in this API version.*1\.114/);
    const unknown = await api.call('GET', `/v1/nodes/${node}/firmware?fields=colour`, undefined, V);
    expect(unknown.status).toBe(400);
    const both = await api.call(
      'GET',
      `/v1/nodes/${node}/firmware?fields=component&detail=True`,
      undefined,
      V,
    );
    expect(both.fault).toBe('Can not specify ?detail=True and fields in the same request.');
    const missing = await api.call('GET', '/v1/nodes/no-such-node/firmware', undefined, V);
    expect(missing.status).toBe(404);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    expect(doc.paths).toHaveProperty(['/v1/nodes/{node_ident}/firmware']);
  });
});
