import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeListSchema, NodeViewSchema } from '@ingot/contracts';
import { startFleet, type Fleet, Installation } from '@ingot/lab';
import { enroll } from './support/nodes.js';

const faultOf = (body: any): string => JSON.parse(body.error_message).faultstring;
const V78 = { 'X-OpenStack-Ironic-API-Version': '1.78' };

describe('node lists, node management and boot devices, as Ironic serves them', () => {
  let system: Installation;
  let fleet: Fleet;
  /** Every node this file created, in creation order. */
  const created: { uuid: string; name: string }[] = [];

  /** Follows `next` links from `path` to the end and returns every item and every page. */
  async function walk(path: string, key = 'nodes', headers: Record<string, string> = {}) {
    const items: any[] = [];
    const pages: any[] = [];
    let url: string | undefined = `${system.apiUrl}${path}`;
    while (url) {
      expect(url.startsWith(system.apiUrl)).toBe(true);
      const res = await system.api('GET', url.slice(system.apiUrl.length), undefined, headers);
      expect(res.status, res.text).toBe(200);
      pages.push(res.body);
      items.push(...res.body[key]);
      url = res.body.next;
      expect(pages.length).toBeLessThan(50);
    }
    return { items, pages };
  }

  beforeAll(async () => {
    fleet = await startFleet({ count: 1 });
    system = await Installation.start();
    // 23 nodes: two sites, three resource classes, two owners, a few shards and descriptions.
    for (let i = 0; i < 23; i++) {
      const name = `node-${String(i).padStart(2, '0')}`;
      const res = await system.api('POST', '/v1/nodes', {
        driver: 'fake-hardware',
        name,
        conductor_group: i % 2 === 0 ? 'site-a' : 'site-b',
        resource_class: ['small', 'large', 'gpu'][i % 3],
        owner: i < 10 ? 'team-a' : 'team-b',
        ...(i % 5 === 0 ? { lessee: 'tenant-x' } : {}),
        ...(i % 4 === 0 ? { shard: `shard-${i % 8}` } : {}),
        description: i === 7 ? 'Rack 7, the one with the 100% fan' : `rack ${i}`,
        ...(i === 3
          ? { instance_info: { instance_uuid: '0e9c2a6e-3f1b-4a77-9d0e-6f3b1c2d4e5f' } }
          : {}),
      });
      expect(res.status, res.text).toBe(201);
      created.push({ uuid: res.body.uuid, name });
    }
  });
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  describe('lists', () => {
    it("a list without detail shows Ironic's short form; /detail and ?detail=True the whole node", async () => {
      const summary = await system.api('GET', '/v1/nodes?limit=1', undefined, V78);
      expect(Object.keys(summary.body.nodes[0]).sort()).toEqual([
        'instance_uuid',
        'links',
        'maintenance',
        'name',
        'power_state',
        'provision_state',
        'uuid',
      ]);
      for (const path of ['/v1/nodes/detail?limit=1', '/v1/nodes?detail=True&limit=1']) {
        const detail = await system.api('GET', path, undefined, V78);
        expect(detail.status).toBe(200);
        expect(detail.body.nodes[0]).toMatchObject({
          uuid: created[0]!.uuid,
          driver: 'fake-hardware',
          conductor_group: 'site-a',
          owner: 'team-a',
          resource_class: 'small',
        });
        expect(detail.body.nodes[0]).not.toHaveProperty('shard'); // 1.82, newer than 1.78
      }
      const both = await system.api('GET', '/v1/nodes?detail=True&fields=uuid', undefined, V78);
      expect(both.status).toBe(400);
      expect(faultOf(both.body)).toMatch(/Can not specify \?detail=True and fields/);
    });

    it('`fields` returns only those fields (and links), as the baremetal CLI asks with a trailing slash', async () => {
      const res = await system.api('GET', '/v1/nodes/?fields=uuid,provision_state', undefined, V78);
      expect(res.status).toBe(200);
      expect(res.body.nodes).toHaveLength(created.length);
      for (const node of res.body.nodes) {
        expect(Object.keys(node).sort()).toEqual(['links', 'provision_state', 'uuid']);
        expect(node.provision_state).toBe('enroll');
      }
    });

    it('pages follow `next` to the end: every node once, in creation order', async () => {
      const { items, pages } = await walk('/v1/nodes?limit=5', 'nodes', V78);
      expect(items.map((n) => n.uuid)).toEqual(created.map((n) => n.uuid));
      expect(pages).toHaveLength(5); // 5+5+5+5+3: the last page is short, so it has no next
      expect(pages.at(-1).next).toBeUndefined();
      const next = new URL(pages[0].next);
      expect(next.pathname).toBe('/v1/nodes');
      expect(next.searchParams.get('limit')).toBe('5');
      expect(next.searchParams.get('marker')).toBe(created[4]!.uuid);
    });

    it('a full last page has a next link to an empty page, as in Ironic', async () => {
      const { items, pages } = await walk('/v1/nodes/detail?limit=23', 'nodes', V78);
      expect(items).toHaveLength(23);
      expect(pages).toHaveLength(2);
      expect(pages[1].nodes).toEqual([]);
      expect(new URL(pages[0].next).pathname).toBe('/v1/nodes/detail');
    });

    it('sort_key and sort_dir order the pages, and the next links keep them and the filters', async () => {
      const { items, pages } = await walk(
        '/v1/nodes?conductor_group=site-a&sort_key=name&sort_dir=desc&limit=4&fields=uuid,name',
        'nodes',
        V78,
      );
      const expected = created
        .filter((_, i) => i % 2 === 0)
        .map((n) => n.name)
        .sort()
        .reverse();
      expect(items.map((n) => n.name)).toEqual(expected);
      const next = new URL(pages[0].next);
      expect(next.searchParams.get('conductor_group')).toBe('site-a');
      expect(next.searchParams.get('sort_key')).toBe('name');
      expect(next.searchParams.get('sort_dir')).toBe('desc');
      expect(next.searchParams.get('fields')).toBe('uuid,name');

      const byClass = await walk('/v1/nodes?sort_key=resource_class&limit=6', 'nodes', {
        'X-OpenStack-Ironic-API-Version': 'latest',
      });
      const classes = byClass.items.map((n) => created.findIndex((c) => c.uuid === n.uuid) % 3);
      const order = classes.map((c) => ['small', 'large', 'gpu'][c]!);
      expect(order).toEqual([...order].sort());
      expect(byClass.items).toHaveLength(23);
    });

    it.each([
      ['provision_state=enroll', () => created],
      ['driver=fake-hardware', () => created],
      ['conductor_group=site-b', () => created.filter((_, i) => i % 2 === 1)],
      ['conductor_group=SITE-B', () => created.filter((_, i) => i % 2 === 1)],
      ['resource_class=gpu', () => created.filter((_, i) => i % 3 === 2)],
      ['owner=team-a', () => created.slice(0, 10)],
      ['lessee=tenant-x', () => created.filter((_, i) => i % 5 === 0)],
      ['project=tenant-x', () => created.filter((_, i) => i % 5 === 0)],
      ['project=team-b', () => created.slice(10)],
      ['description_contains=100%25 fan', () => [created[7]!]],
      ['associated=True', () => [created[3]!]],
      ['associated=false', () => created.filter((_, i) => i !== 3)],
      ['instance_uuid=0e9c2a6e-3f1b-4a77-9d0e-6f3b1c2d4e5f', () => [created[3]!]],
      ['shard=shard-0', () => created.filter((_, i) => i % 8 === 0)],
      ['shard=shard-0,shard-4', () => created.filter((_, i) => i % 4 === 0)],
      ['sharded=false', () => created.filter((_, i) => i % 4 !== 0)],
      ['retired=True', () => []],
      [
        'conductor_group=site-a&resource_class=small&owner=team-a',
        () => created.filter((_, i) => i % 2 === 0 && i % 3 === 0 && i < 10),
      ],
    ])('the filter %s selects exactly its nodes', async (query, expected) => {
      const res = await system.api('GET', `/v1/nodes?${query}&fields=uuid`, undefined, {
        'X-OpenStack-Ironic-API-Version': 'latest',
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body.nodes.map((n: any) => n.uuid)).toEqual(expected().map((n) => n.uuid));
    });

    it('maintenance set with a reason and unset: the node shows it, and the maintenance filter follows', async () => {
      const node = created[5]!;
      const set = await system.api(
        'PUT',
        `/v1/nodes/${node.name}/maintenance`,
        { reason: 'fan replaced' },
        V78,
      );
      expect(set.status).toBe(202);
      expect(set.text).toBe('');
      const shown = await system.api('GET', `/v1/nodes/${node.uuid}`, undefined, V78);
      expect(shown.body.maintenance).toBe(true);
      expect(shown.body.maintenance_reason).toBe('fan replaced');
      const inMaintenance = await system.api('GET', '/v1/nodes?maintenance=True', undefined, V78);
      expect(inMaintenance.body.nodes.map((n: any) => n.uuid)).toEqual([node.uuid]);
      const others = await system.api('GET', '/v1/nodes?maintenance=false', undefined, V78);
      expect(others.body.nodes).toHaveLength(created.length - 1);

      const unset = await system.api(
        'DELETE',
        `/v1/nodes/${node.uuid}/maintenance`,
        undefined,
        V78,
      );
      expect(unset.status).toBe(202);
      const cleared = await system.api('GET', `/v1/nodes/${node.name}`, undefined, V78);
      expect(cleared.body.maintenance).toBe(false);
      expect(cleared.body.maintenance_reason).toBeNull();
      expect(
        (await system.api('GET', '/v1/nodes?maintenance=True', undefined, V78)).body.nodes,
      ).toEqual([]);

      // Without a body (no reason), as some clients send it.
      const bare = await fetch(`${system.apiUrl}/v1/nodes/${node.uuid}/maintenance`, {
        method: 'PUT',
        headers: V78,
      });
      expect(bare.status).toBe(202);
      const bareNode = await system.api('GET', `/v1/nodes/${node.uuid}`, undefined, V78);
      expect(bareNode.body).toMatchObject({ maintenance: true, maintenance_reason: null });
      await system.api('DELETE', `/v1/nodes/${node.uuid}/maintenance`, undefined, V78);
    });

    it.each([
      ['/v1/nodes?provision_state=sleeping', 400, /Provision state "sleeping" is not valid/],
      ['/v1/nodes?limit=0', 400, /Limit must be positive/],
      ['/v1/nodes?sort_key=properties', 400, /sort_key value properties is an invalid field/],
      ['/v1/nodes?sort_key=colour', 400, /sort_key value colour is an invalid field/],
      ['/v1/nodes?sort_dir=up', 400, /sort_dir/],
      ['/v1/nodes?marker=5d8b2f4e-1111-4a77-9d0e-6f3b1c2d4e5f', 404, /could not be found/],
      ['/v1/nodes?fields=uuid,colour', 400, /Field\(s\) "colour" are not valid/],
      ['/v1/nodes?sort_key=lessee', 406, /lessee/], // lessee is 1.65, this asks 1.50
      ['/v1/nodes?lessee=x', 406, /lessee/],
    ])('%s is refused with %i', async (path, status, message) => {
      const res = await system.api('GET', path, undefined, {
        'X-OpenStack-Ironic-API-Version': '1.50',
      });
      expect(res.status).toBe(status);
      expect(faultOf(res.body)).toMatch(message);
    });

    it('a limit above the maximum is capped at 1000, as Ironic caps it', async () => {
      const res = await system.api('GET', '/v1/nodes?limit=5000&fields=uuid', undefined, V78);
      expect(res.status).toBe(200);
      expect(res.body.nodes).toHaveLength(created.length);
      expect(res.body.next).toBeUndefined();
    });
  });

  describe('the node model (the response schemas of the OpenAPI document)', () => {
    // Every answer must match what the document promises clients, at old and new versions.
    const ajv = new Ajv({ strict: false, allErrors: true });
    const isNode = ajv.compile(NodeViewSchema);
    const isList = ajv.compile(NodeListSchema);

    it.each(['1.1', '1.31', '1.78', '1.96'])('describes node answers at %s', async (version) => {
      const headers = { 'X-OpenStack-Ironic-API-Version': version };
      for (const path of ['/v1/nodes/detail', '/v1/nodes', '/v1/nodes/detail?limit=5']) {
        const page = await system.api('GET', path, undefined, headers);
        expect(page.status).toBe(200);
        expect(isList(page.body), `${path}: ${ajv.errorsText(isList.errors)}`).toBe(true);
      }
      const one = await system.api('GET', `/v1/nodes/${created[3]!.uuid}`, undefined, headers);
      expect(isNode(one.body), ajv.errorsText(isNode.errors)).toBe(true);
      expect(Object.keys(one.body).length).toBeGreaterThan(15);
    });
  });

  describe('one node', () => {
    it('is found by UUID or name, with its states', async () => {
      const node = created[9]!;
      const byName = await system.api('GET', `/v1/nodes/${node.name}`, undefined, V78);
      const byUuid = await system.api(
        'GET',
        `/v1/nodes/${node.uuid.toUpperCase()}`,
        undefined,
        V78,
      );
      expect(byName.body.uuid).toBe(node.uuid);
      expect(byUuid.body.name).toBe(node.name);
      const states = await system.api('GET', `/v1/nodes/${node.name}/states`, undefined, V78);
      expect(states.body).toMatchObject({
        provision_state: 'enroll',
        target_provision_state: null,
        power_state: null,
        console_enabled: false,
      });
      expect(states.body.links[0].href).toBe(`${system.apiUrl}/v1/nodes/${node.uuid}/states`);
    });

    it('DELETE with an empty application/octet-stream body, as python-ironicclient sends it, is served', async () => {
      const made = await system.api('POST', '/v1/nodes', {
        driver: 'fake-hardware',
        name: 'to-go',
      });
      expect(made.status).toBe(201);
      const headers = { 'content-type': 'application/octet-stream', accept: '*/*', ...V78 };
      const unset = await fetch(`${system.apiUrl}/v1/nodes/to-go/maintenance`, {
        method: 'DELETE',
        headers,
      });
      expect(unset.status).toBe(202);
      const gone = await fetch(`${system.apiUrl}/v1/nodes/to-go`, { method: 'DELETE', headers });
      expect(gone.status).toBe(204);
      expect((await system.api('GET', '/v1/nodes/to-go')).status).toBe(404);
    });

    it('validate reports each interface: what is missing, and what Ingot does not implement', async () => {
      const fake = await system.api(
        'GET',
        `/v1/nodes/${created[0]!.name}/validate`,
        undefined,
        V78,
      );
      expect(fake.status).toBe(200);
      expect(fake.body.power).toEqual({ result: true, reason: null });
      expect(fake.body.management).toEqual({ result: true, reason: null });
      expect(fake.body.network).toEqual({ result: true, reason: null });
      expect(fake.body.deploy.result).toBe(false);
      expect(fake.body.deploy.reason).toMatch(/instance_info\.image_source/);
      expect(fake.body.console).toEqual({
        result: false,
        reason: 'Driver fake-hardware does not support console (disabled or not implemented).',
      });
      expect(Object.keys(fake.body).sort()).toEqual(
        [
          'bios',
          'boot',
          'console',
          'deploy',
          'firmware',
          'inspect',
          'management',
          'network',
          'power',
          'raid',
          'rescue',
          'storage',
          'vendor',
        ].sort(),
      );

      const bare = await system.api('POST', '/v1/nodes', { driver: 'redfish', name: 'no-bmc' });
      const redfish = await system.api('GET', '/v1/nodes/no-bmc/validate', undefined, V78);
      expect(redfish.body.power.result).toBe(false);
      expect(redfish.body.power.reason).toMatch(/driver_info\.redfish_address/);
      expect(redfish.body.boot.result).toBe(false);
      // So do the interfaces that reach the BMC for their steps and rescue.
      for (const iface of ['bios', 'raid', 'firmware', 'rescue'])
        expect(redfish.body[iface], iface).toMatchObject({
          result: false,
          reason: expect.stringMatching(/driver_info\.redfish_address/),
        });

      const patched = await system.api(
        'PATCH',
        `/v1/nodes/${bare.body.uuid}`,
        [
          { op: 'add', path: '/driver_info/redfish_address', value: 'http://127.0.0.1:9' },
          {
            op: 'add',
            path: '/instance_info',
            value: { image_source: 'http://127.0.0.1:9/i.qcow2', image_checksum: 'abc' },
          },
        ],
        V78,
      );
      expect(patched.status, patched.text).toBe(200);
      const valid = await system.api('GET', '/v1/nodes/no-bmc/validate', undefined, V78);
      expect(valid.body.power).toEqual({ result: true, reason: null });
      expect(valid.body.deploy).toEqual({ result: true, reason: null });
      for (const iface of ['bios', 'raid', 'firmware', 'rescue'])
        expect(valid.body[iface], iface).toEqual({ result: true, reason: null });
    });

    it('interface fields are accepted when they name what the hardware type implements (as Metal3 sends them)', async () => {
      const ok = await system.api('POST', '/v1/nodes', {
        driver: 'redfish',
        name: 'metal3-style',
        boot_interface: 'redfish-virtual-media',
        deploy_interface: 'direct',
        inspect_interface: 'agent',
        raid_interface: 'no-raid',
      });
      expect(ok.status, ok.text).toBe(201);
      expect(ok.body.boot_interface).toBe('redfish-virtual-media');
      // raid, bios and firmware choices are kept per node (issue 11): no-raid is shown back.
      expect(ok.body.raid_interface).toBe('no-raid');
      const software = await system.api('POST', '/v1/nodes', {
        driver: 'ipmi',
        name: 'software-raid',
        raid_interface: 'agent',
        bios_interface: 'no-bios',
      });
      expect(software.status, software.text).toBe(201);
      expect(software.body).toMatchObject({ raid_interface: 'agent', bios_interface: 'no-bios' });
      const patched = await system.api('PATCH', '/v1/nodes/software-raid', [
        { op: 'replace', path: '/raid_interface', value: 'no-raid' },
      ]);
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body.raid_interface).toBe('no-raid');
      // validate reports the node's own choice: no-raid is not supported.
      const validated = await system.api('GET', '/v1/nodes/software-raid/validate');
      expect(validated.body.raid).toEqual({
        result: false,
        reason: 'Driver ipmi does not support raid (disabled or not implemented).',
      });
      const badRaid = await system.api('POST', '/v1/nodes', {
        driver: 'ipmi',
        name: 'hardware-raid-on-ipmi',
        raid_interface: 'redfish',
      });
      expect(badRaid.status).toBe(400);
      expect(badRaid.text).toContain("Invalid raid_interface 'redfish' for hardware type ipmi");
      // Metal3's redfish:// hosts boot over iPXE: an alternative the node may choose.
      const ipxe = await system.api('POST', '/v1/nodes', {
        driver: 'redfish',
        name: 'ipxe-style',
        boot_interface: 'ipxe',
      });
      expect(ipxe.status, ipxe.text).toBe(201);
      expect(ipxe.body.boot_interface).toBe('ipxe');
      const bad = await system.api('POST', '/v1/nodes', {
        driver: 'redfish',
        name: 'pxe-style',
        boot_interface: 'pxe',
      });
      expect(bad.status).toBe(400);
      expect(faultOf(bad.body)).toMatch(
        /boot_interface 'pxe'.*'redfish-virtual-media', 'ipxe' only/,
      );
      const patch = await system.api('PATCH', '/v1/nodes/metal3-style', [
        { op: 'replace', path: '/power_interface', value: 'ipmitool' },
      ]);
      expect(patch.status).toBe(400);
      const toIpxe = await system.api('PATCH', '/v1/nodes/metal3-style', [
        { op: 'replace', path: '/boot_interface', value: 'ipxe' },
      ]);
      expect(toIpxe.status, toIpxe.text).toBe(200);
      expect(toIpxe.body.boot_interface).toBe('ipxe');
      // Removing the field goes back to the hardware type's default.
      const back = await system.api('PATCH', '/v1/nodes/metal3-style', [
        { op: 'remove', path: '/boot_interface' },
      ]);
      expect(back.status, back.text).toBe(200);
      expect(back.body.boot_interface).toBe('redfish-virtual-media');
      const fake = await system.api('POST', '/v1/nodes', {
        driver: 'fake-hardware',
        name: 'fake-ipxe',
        boot_interface: 'ipxe',
      });
      expect(fake.status).toBe(400);
    });
  });

  describe('traits', () => {
    it('are listed, set, added and removed as Ironic does it, and validated', async () => {
      const node = `/v1/nodes/${created[1]!.uuid}`;
      const put = await system.api('PUT', `${node}/traits`, {
        traits: ['CUSTOM_B', 'HW_CPU_X86_AVX2', 'CUSTOM_B'],
      });
      expect(put.status, put.text).toBe(204);
      expect((await system.api('GET', `${node}/traits`)).body).toEqual({
        traits: ['CUSTOM_B', 'HW_CPU_X86_AVX2'],
      });
      expect((await system.api('PUT', `${node}/traits/CUSTOM_A`)).status).toBe(204);
      expect((await system.api('GET', node)).body.traits).toEqual([
        'CUSTOM_A',
        'CUSTOM_B',
        'HW_CPU_X86_AVX2',
      ]);
      const bad = await system.api('PUT', `${node}/traits/custom-lower`);
      expect(bad.status).toBe(400);
      expect(faultOf(bad.body)).toMatch(/Invalid trait 'custom-lower'/);
      const tooMany = await system.api('PUT', `${node}/traits`, {
        traits: Array.from({ length: 51 }, (_, i) => `CUSTOM_T${i}`),
      });
      expect(tooMany.status).toBe(400);
      expect(faultOf(tooMany.body)).toMatch(/at most 50 traits/);
      const missing = await system.api('DELETE', `${node}/traits/CUSTOM_NOPE`);
      expect(missing.status).toBe(404);
      expect((await system.api('DELETE', `${node}/traits/CUSTOM_A`)).status).toBe(204);
      expect((await system.api('DELETE', `${node}/traits`)).status).toBe(204);
      expect((await system.api('GET', `${node}/traits`)).body).toEqual({ traits: [] });
      const old = await system.api('GET', `${node}/traits`, undefined, {
        'X-OpenStack-Ironic-API-Version': '1.36',
      });
      expect(old.status).toBe(404);
    });
  });

  describe('boot device', () => {
    it('lists the devices each hardware type supports', async () => {
      const fake = await system.api(
        'GET',
        `/v1/nodes/${created[0]!.uuid}/management/boot_device/supported`,
        undefined,
        V78,
      );
      expect(fake.body).toEqual({
        supported_boot_devices: ['pxe', 'disk', 'cdrom', 'bios', 'safe'],
      });
    });

    it('a boot device set through the API reaches the lab BMC, and reads back from it', async () => {
      const server = fleet.servers[0]!;
      const uuid = await enroll(system, server);
      expect(
        (await system.api('GET', `/v1/nodes/${uuid}/management/boot_device/supported`)).body,
      ).toEqual({ supported_boot_devices: ['pxe', 'disk', 'cdrom', 'bios'] });

      const set = await system.api(
        'PUT',
        `/v1/nodes/${server.name}/management/boot_device`,
        { boot_device: 'pxe', persistent: true },
        V78,
      );
      expect(set.status, set.text).toBe(204);
      // Ironic answers once the BMC has it: no waiting needed.
      expect(server.bmc.state.boot).toMatchObject({ enabled: 'Continuous', target: 'Pxe' });
      const read = await system.api(
        'GET',
        `/v1/nodes/${uuid}/management/boot_device`,
        undefined,
        V78,
      );
      expect(read.status, read.text).toBe(200);
      expect(read.body).toEqual({ boot_device: 'pxe', persistent: true });

      const once = await system.api('PUT', `/v1/nodes/${uuid}/management/boot_device`, {
        boot_device: 'cdrom',
      });
      expect(once.status).toBe(204);
      expect(server.bmc.state.boot).toMatchObject({ enabled: 'Once', target: 'Cd' });
      expect((await system.api('GET', `/v1/nodes/${uuid}/management/boot_device`)).body).toEqual({
        boot_device: 'cdrom',
        persistent: false,
      });

      const history = await system.api('GET', `/v1/nodes/${uuid}/history`);
      const management = history.body.history.filter((h: any) => h.event_type === 'management');
      expect(management.map((h: any) => h.event)).toEqual([
        "boot device set to 'pxe' (persistent)",
        "boot device set to 'cdrom' (next boot)",
      ]);
    });

    it('a device the hardware type does not have is refused with 400, and the BMC keeps its setting', async () => {
      const server = fleet.servers[0]!;
      const before = { ...server.bmc.state.boot };
      const res = await system.api('PUT', `/v1/nodes/${server.name}/management/boot_device`, {
        boot_device: 'safe',
      });
      expect(res.status).toBe(400);
      expect(faultOf(res.body)).toMatch(
        /Invalid boot device safe .* valid devices are: pxe, disk, cdrom, bios/,
      );
      expect(server.bmc.state.boot).toEqual(before);
    });

    it("a fake-hardware node keeps its boot device in the power worker, as Ironic's fake driver", async () => {
      const node = await system.api('POST', '/v1/nodes', { driver: 'fake-hardware' });
      const uuid = node.body.uuid;
      const set = await system.api('PUT', `/v1/nodes/${uuid}/management/boot_device`, {
        boot_device: 'disk',
        persistent: true,
      });
      expect(set.status, set.text).toBe(204);
      const read = await system.api('GET', `/v1/nodes/${uuid}/management/boot_device`);
      expect(read.body).toEqual({ boot_device: 'disk', persistent: true });
    });

    it('a node of a site no conductor serves gets 400 at once, as Ironic answers NoValidHost', async () => {
      const started = Date.now();
      const res = await system.api('PUT', `/v1/nodes/${created[1]!.uuid}/management/boot_device`, {
        boot_device: 'pxe',
      });
      expect(res.status).toBe(400);
      expect(faultOf(res.body)).toMatch(/No valid host was found.*conductor group "site-b"/);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
});
