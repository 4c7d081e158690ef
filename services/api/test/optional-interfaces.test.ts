import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAID_LOGICAL_DISK_PROPERTIES } from '@ingot/contracts';
import { TestApi } from './support/test-api.js';

/**
 * BIOS, console, RAID, vendor passthru and volume endpoints answer as Ironic does for Ingot's
 * no-bios, no-console, no-raid, no-vendor and noop storage interfaces.
 */
describe('endpoints of interfaces Ingot does not implement', () => {
  let api: TestApi;
  let node: string;

  beforeAll(async () => {
    api = await TestApi.start();
    node = await api.node('optional');
  });
  afterAll(async () => {
    await api?.stop();
  });

  describe('BIOS settings (1.40)', () => {
    it('lists none, by uuid or name, with fields and detail from 1.74', async () => {
      for (const [path, version] of [
        [`/v1/nodes/${node}/bios`, '1.40'],
        ['/v1/nodes/optional/bios', '1.78'],
        ['/v1/nodes/optional/bios?detail=True', '1.74'],
        ['/v1/nodes/optional/bios?fields=name,value', '1.74'],
      ] as const) {
        const res = await api.call('GET', path, undefined, version);
        expect(res.status, `${path}: ${res.fault}`).toBe(200);
        expect(res.body).toEqual({ bios: [] });
      }
    });

    it('refuses what Ironic refuses', async () => {
      const old = await api.call('GET', `/v1/nodes/${node}/bios`, undefined, '1.39');
      expect(old.status).toBe(404);
      const early = await api.call('GET', `/v1/nodes/${node}/bios?detail=true`, undefined, '1.73');
      expect(early.status).toBe(400);
      expect(early.fault).toMatch(/detail.*1\.74/);
      const field = await api.call('GET', `/v1/nodes/${node}/bios?fields=name,colour`);
      expect(field.status).toBe(400);
      expect(field.fault).toBe('Field(s) "colour" are not valid for BIOS setting');
      const both = await api.call('GET', `/v1/nodes/${node}/bios?fields=name&detail=True`);
      expect(both.status).toBe(400);
      expect(both.fault).toBe('Can not specify ?detail=True and fields in the same request.');
    });

    it('has no setting of any name', async () => {
      const res = await api.call('GET', '/v1/nodes/optional/bios/ProcVirtualization');
      expect(res.status).toBe(404);
      expect(res.fault).toBe(`Node ${node} doesn't have a BIOS setting 'ProcVirtualization'`);
      const bad = await api.call('GET', '/v1/nodes/optional/bios/a%20b');
      expect(bad.status).toBe(400);
      expect(bad.fault).toMatch(/field 'setting_name'/);
    });
  });

  describe('console', () => {
    it('is off, with no connection information', async () => {
      for (const [ident, version] of [
        [node, '1.1'],
        ['optional', '1.78'],
      ]) {
        const res = await api.call('GET', `/v1/nodes/${ident}/states/console`, undefined, version);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ console_enabled: false, console_info: null });
      }
    });

    it("cannot be started or stopped: no-console's UnsupportedDriverExtension", async () => {
      for (const enabled of [true, 'False']) {
        const res = await api.call('PUT', `/v1/nodes/${node}/states/console`, { enabled });
        expect(res.status).toBe(400);
        expect(res.fault).toBe(
          'Driver fake-hardware does not support console (disabled or not implemented).',
        );
      }
      const bad = await api.call('PUT', `/v1/nodes/${node}/states/console`, { enabled: 'soon' });
      expect(bad.fault).toMatch(/^Invalid enabled: Unrecognized value "soon"/);
      const none = await api.call('PUT', `/v1/nodes/${node}/states/console`, {});
      expect(none.fault).toMatch(/field 'enabled' is required/);
    });
  });

  describe('RAID (1.12)', () => {
    it('an empty target configuration is accepted; any other is no-raid refusing (404)', async () => {
      const cleared = await api.call('PUT', `/v1/nodes/${node}/states/raid`, {});
      expect(cleared.status, cleared.fault).toBe(204);
      const config = { logical_disks: [{ size_gb: 100, raid_level: '1', is_root_volume: true }] };
      const refused = await api.call('PUT', '/v1/nodes/optional/states/raid', config);
      expect(refused.status).toBe(404);
      expect(refused.fault).toBe(
        'Driver fake-hardware does not support raid (disabled or not implemented).',
      );
      const shown = await api.call('GET', `/v1/nodes/${node}`);
      expect(shown.body.target_raid_config).toEqual({});
      const old = await api.call('PUT', `/v1/nodes/${node}/states/raid`, {}, '1.11');
      expect(old.status).toBe(406);
      const notObject = await api.call('PUT', `/v1/nodes/${node}/states/raid`, ['x']);
      expect(notObject.status).toBe(400);
    });

    it("lists the generic logical disk properties, which Ironic's no-raid inherits", async () => {
      const dead = await api.call('GET', '/v1/drivers/redfish/raid/logical_disk_properties');
      expect(dead.status).toBe(404); // no live conductor serves it yet
      await api.addConductor();
      const res = await api.call('GET', '/v1/drivers/redfish/raid/logical_disk_properties');
      expect(res.status, res.fault).toBe(200);
      expect(res.body).toEqual(RAID_LOGICAL_DISK_PROPERTIES);
      expect(Object.keys(res.body).sort()).toEqual([
        'controller',
        'disk_type',
        'interface_type',
        'is_root_volume',
        'number_of_physical_disks',
        'physical_disks',
        'raid_level',
        'share_physical_disks',
        'size_gb',
        'volume_name',
      ]);
      const unknown = await api.call('GET', '/v1/drivers/ilo/raid/logical_disk_properties');
      expect(unknown.status).toBe(404);
      expect(unknown.fault).toBe(
        'Could not find the following driver(s) or hardware type(s): ilo.',
      );
      const old = await api.call(
        'GET',
        '/v1/drivers/redfish/raid/logical_disk_properties',
        undefined,
        '1.11',
      );
      expect(old.status).toBe(406);
    });
  });

  describe('vendor passthru', () => {
    it('no-vendor has no methods, for a node and for a hardware type', async () => {
      await api.addConductor();
      const ofNode = await api.call('GET', '/v1/nodes/optional/vendor_passthru/methods');
      expect([ofNode.status, ofNode.body]).toEqual([200, {}]);
      const ofDriver = await api.call('GET', '/v1/drivers/ipmi/vendor_passthru/methods');
      expect([ofDriver.status, ofDriver.body]).toEqual([200, {}]);
      expect((await api.call('GET', '/v1/drivers/x/vendor_passthru/methods')).status).toBe(404);
      expect((await api.call('GET', '/v1/nodes/x/vendor_passthru/methods')).status).toBe(404);
    });
  });

  describe('volume connectors and targets (1.32)', () => {
    it('the volume root links its collections, and /v1 links it', async () => {
      const root = await api.call('GET', '/v1/volume', undefined, '1.32');
      expect(root.status).toBe(200);
      const base = 'http://localhost:80';
      expect(root.body).toEqual({
        links: [
          { href: `${base}/v1/volume/`, rel: 'self' },
          { href: `${base}/volume/`, rel: 'bookmark' },
        ],
        connectors: [
          { href: `${base}/v1/volume/connectors`, rel: 'self' },
          { href: `${base}/volume/connectors`, rel: 'bookmark' },
        ],
        targets: [
          { href: `${base}/v1/volume/targets`, rel: 'self' },
          { href: `${base}/volume/targets`, rel: 'bookmark' },
        ],
      });
      const ofNode = await api.call('GET', '/v1/nodes/optional/volume');
      expect(ofNode.body.connectors[0].href).toBe(`${base}/v1/nodes/optional/volume/connectors`);
      expect((await api.call('GET', '/v1/volume', undefined, '1.31')).status).toBe(404);
      expect((await api.call('GET', '/v1', undefined, '1.32')).body.volume).toEqual([
        { href: `${base}/v1/volume/`, rel: 'self' },
        { href: `${base}/volume/`, rel: 'bookmark' },
      ]);
      expect((await api.call('GET', '/v1', undefined, '1.31')).body).not.toHaveProperty('volume');
    });

    it('lists are empty, everywhere', async () => {
      for (const path of [
        '/v1/volume/connectors',
        '/v1/volume/connectors?detail=True',
        '/v1/volume/connectors?node=optional&fields=uuid,connector_id',
        `/v1/nodes/${node}/volume/connectors`,
      ])
        expect((await api.call('GET', path)).body, path).toEqual({ connectors: [] });
      for (const path of [
        '/v1/volume/targets?limit=10&sort_key=boot_index&sort_dir=desc',
        '/v1/nodes/optional/volume/targets',
      ])
        expect((await api.call('GET', path)).body, path).toEqual({ targets: [] });
    });

    it('list queries are checked as Ironic checks them', async () => {
      const cases: [string, number, RegExp][] = [
        ['/v1/volume/connectors?node=nowhere', 404, /Node nowhere could not be found/],
        ['/v1/nodes/nowhere/volume/targets', 404, /Node nowhere could not be found/],
        ['/v1/volume/connectors?fields=uuid&detail=True', 400, /subset of fields with 'detail'/],
        ['/v1/volume/targets?fields=volume_id,size', 400, /"size" are not valid/],
        ['/v1/volume/targets?sort_key=properties', 400, /invalid field for sorting/],
        ['/v1/volume/connectors?limit=0', 400, /Limit must be positive/],
        ['/v1/volume/connectors?colour=red', 400, /colour/],
        [
          '/v1/volume/connectors?marker=9b0a2a43-6a4a-4c47-8c35-4b1f2a8f3c11',
          404,
          /Volume connector 9b0a2a43-6a4a-4c47-8c35-4b1f2a8f3c11 could not be found/,
        ],
      ];
      for (const [path, status, fault] of cases) {
        const res = await api.call('GET', path);
        expect(res.status, path).toBe(status);
        expect(res.fault, path).toMatch(fault);
      }
      expect((await api.call('GET', '/v1/volume/connectors', undefined, '1.31')).status).toBe(404);
    });

    it('no record is ever found, and creating one is refused saying why', async () => {
      const id = '9b0a2a43-6a4a-4c47-8c35-4b1f2a8f3c11';
      for (const method of ['GET', 'DELETE'] as const) {
        const res = await api.call(method, `/v1/volume/targets/${id}`);
        expect([res.status, res.fault]).toEqual([404, `Volume target ${id} could not be found.`]);
      }
      const patched = await api.call('PATCH', `/v1/volume/connectors/${id}`, [
        { op: 'replace', path: '/type', value: 'iqn' },
      ]);
      expect(patched.status).toBe(404);
      expect((await api.call('GET', '/v1/volume/connectors/not-a-uuid')).status).toBe(400);

      const connector = { node_uuid: node, type: 'iqn', connector_id: 'iqn.2026-01.org:n1' };
      const created = await api.call('POST', '/v1/volume/connectors', connector);
      expect(created.status).toBe(400);
      expect(created.fault).toBe(
        "Ingot keeps no volume connectors: it does not boot from volume (every node's storage_interface is noop), so a volume connector would never be used.",
      );
      const target = await api.call('POST', '/v1/volume/targets', {
        node_uuid: node,
        volume_type: 'iscsi',
        volume_id: 'v1',
        boot_index: 0,
      });
      expect(target.status).toBe(400);
      expect(target.fault).toMatch(/^Ingot keeps no volume targets/);
      const byName = await api.call('POST', '/v1/volume/connectors', {
        ...connector,
        node_uuid: 'optional',
      });
      expect(byName.fault).toBe('Expected UUID for node_uuid: optional');
      const missing = await api.call('POST', '/v1/volume/connectors', { node_uuid: node });
      expect(missing.fault).toMatch(/field 'type' is required/);
    });
  });

  it('every new route is in the OpenAPI document', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    for (const path of [
      '/v1/nodes/{node_ident}/vifs',
      '/v1/nodes/{node_ident}/vifs/{vif_id}',
      '/v1/nodes/{node_ident}/bios',
      '/v1/nodes/{node_ident}/bios/{setting_name}',
      '/v1/nodes/{node_ident}/states/console',
      '/v1/nodes/{node_ident}/states/raid',
      '/v1/drivers/{driver_name}/raid/logical_disk_properties',
      '/v1/nodes/{node_ident}/vendor_passthru/methods',
      '/v1/drivers/{driver_name}/vendor_passthru/methods',
      '/v1/volume',
      '/v1/volume/connectors',
      '/v1/volume/targets/{target_uuid}',
      '/v1/nodes/{node_ident}/volume/connectors',
    ])
      expect(doc.paths, path).toHaveProperty([path]);
  });
});
