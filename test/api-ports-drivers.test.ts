import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation } from '@ingot/lab';

const faultOf = (body: any): string => JSON.parse(body.error_message).faultstring;
const V78 = { 'X-OpenStack-Ironic-API-Version': '1.78' };
const mac = (i: number) => `52:54:00:aa:bb:${i.toString(16).padStart(2, '0')}`;

describe('ports, port groups, drivers, conductors and the OpenAPI document', () => {
  let system: Installation;
  let node: { uuid: string; name: string };
  let other: { uuid: string; name: string };

  beforeAll(async () => {
    system = await Installation.start();
    const a = await system.api('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: 'with-ports',
    });
    const b = await system.api('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'other' });
    node = { uuid: a.body.uuid, name: 'with-ports' };
    other = { uuid: b.body.uuid, name: 'other' };
  });
  afterAll(async () => {
    await system?.stop();
  });

  describe('ports', () => {
    it('a port is created with node_uuid and address, shown, listed everywhere, changed and deleted', async () => {
      const created = await system.api(
        'POST',
        '/v1/ports',
        { node_uuid: node.uuid, address: '52:54:00:AA:BB:01', extra: { slot: 1 } },
        V78,
      );
      expect(created.status, created.text).toBe(201);
      const port = created.body;
      expect(port).toMatchObject({
        node_uuid: node.uuid,
        address: '52:54:00:aa:bb:01',
        pxe_enabled: true,
        local_link_connection: {},
        physical_network: null,
        portgroup_uuid: null,
        internal_info: {},
        is_smartnic: false,
        extra: { slot: 1 },
      });
      expect(port).not.toHaveProperty('name'); // 1.88
      expect(created.headers.get('location')).toBe(`${system.apiUrl}/v1/ports/${port.uuid}`);
      expect(port.links[0].href).toBe(`${system.apiUrl}/v1/ports/${port.uuid}`);

      const shown = await system.api('GET', `/v1/ports/${port.uuid}`, undefined, V78);
      expect(shown.body).toEqual(port);

      const list = await system.api('GET', '/v1/ports', undefined, V78);
      expect(list.body.ports).toEqual([
        { uuid: port.uuid, address: port.address, links: port.links },
      ]);
      const detail = await system.api('GET', '/v1/ports/detail', undefined, V78);
      expect(detail.body.ports).toEqual([port]);
      for (const path of [
        `/v1/nodes/${node.name}/ports`,
        `/v1/nodes/${node.uuid}/ports/detail`,
        `/v1/ports?node=${node.name}`,
        `/v1/ports?node_uuid=${node.uuid}`,
        `/v1/ports?address=52:54:00:AA:BB:01`,
      ]) {
        const res = await system.api('GET', path, undefined, V78);
        expect(res.status, path).toBe(200);
        expect(
          res.body.ports.map((p: any) => p.uuid),
          path,
        ).toEqual([port.uuid]);
      }
      expect((await system.api('GET', `/v1/nodes/${other.name}/ports`)).body.ports).toEqual([]);

      const patched = await system.api(
        'PATCH',
        `/v1/ports/${port.uuid}`,
        [
          { op: 'replace', path: '/pxe_enabled', value: false },
          { op: 'add', path: '/extra/switch', value: 'leaf-1' },
          {
            op: 'replace',
            path: '/local_link_connection',
            value: { switch_id: '0a:1b:2c:3d:4e:5f', port_id: 'Ethernet1/7' },
          },
        ],
        V78,
      );
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body).toMatchObject({
        pxe_enabled: false,
        extra: { slot: 1, switch: 'leaf-1' },
        local_link_connection: { switch_id: '0a:1b:2c:3d:4e:5f', port_id: 'Ethernet1/7' },
      });
      const readOnly = await system.api('PATCH', `/v1/ports/${port.uuid}`, [
        { op: 'replace', path: '/internal_info', value: {} },
      ]);
      expect(readOnly.status).toBe(400);
      expect(faultOf(readOnly.body)).toMatch(/Cannot patch \/internal_info/);

      const moved = await system.api('PATCH', `/v1/ports/${port.uuid}`, [
        { op: 'replace', path: '/node_uuid', value: other.uuid },
      ]);
      expect(moved.body.node_uuid).toBe(other.uuid);
      expect((await system.api('GET', `/v1/nodes/${other.name}/ports`)).body.ports).toHaveLength(1);

      const deleted = await system.api('DELETE', `/v1/ports/${port.uuid}`, undefined, V78);
      expect(deleted.status).toBe(204);
      expect((await system.api('GET', `/v1/ports/${port.uuid}`)).status).toBe(404);
    });

    it('a MAC address is taken once (409), and a bad one or an unknown node is 400', async () => {
      const first = await system.api('POST', '/v1/ports', {
        node_uuid: node.uuid,
        address: mac(2),
      });
      expect(first.status).toBe(201);
      const again = await system.api('POST', '/v1/ports', {
        node_uuid: other.uuid,
        address: mac(2),
      });
      expect(again.status).toBe(409);
      expect(faultOf(again.body)).toMatch(/52:54:00:aa:bb:02/);
      const bad = await system.api('POST', '/v1/ports', { node_uuid: node.uuid, address: 'nope' });
      expect(bad.status).toBe(400);
      expect(faultOf(bad.body)).toMatch(/field 'address'/);
      const unknown = await system.api('POST', '/v1/ports', {
        node_uuid: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
        address: mac(3),
      });
      expect(unknown.status).toBe(400);
      expect(faultOf(unknown.body)).toMatch(
        /Node 3f2504e0-4f89-11d3-9a0c-0305e82c3301 could not be found/,
      );
      await system.api('DELETE', `/v1/ports/${first.body.uuid}`);
    });

    it('a node name as node_uuid is 400 at 1.78 (what the baremetal CLI gets from Ironic), accepted from 1.94', async () => {
      const old = await system.api(
        'POST',
        '/v1/ports',
        { node_uuid: node.name, address: mac(4) },
        V78,
      );
      expect(old.status).toBe(400);
      expect(faultOf(old.body)).toMatch(/Expected a UUID for node_uuid/);
      const recent = await system.api(
        'POST',
        '/v1/ports',
        { node_uuid: node.name, address: mac(4) },
        { 'X-OpenStack-Ironic-API-Version': '1.94' },
      );
      expect(recent.status).toBe(201);
      expect(recent.body.node_uuid).toBe(node.uuid);
      await system.api('DELETE', `/v1/ports/${recent.body.uuid}`);
    });

    it('port names exist from 1.88: set, shown and used to find the port; 406 before', async () => {
      const tooOld = await system.api(
        'POST',
        '/v1/ports',
        { node_uuid: node.uuid, address: mac(5), name: 'eth0' },
        { 'X-OpenStack-Ironic-API-Version': '1.87' },
      );
      expect(tooOld.status).toBe(406);
      const named = await system.api('POST', '/v1/ports', {
        node_uuid: node.uuid,
        address: mac(5),
        name: 'eth0',
      });
      expect(named.status, named.text).toBe(201);
      expect(named.body.name).toBe('eth0');
      expect((await system.api('GET', '/v1/ports/eth0')).body.uuid).toBe(named.body.uuid);
      expect(
        (
          await system.api('GET', '/v1/ports/eth0', undefined, {
            'X-OpenStack-Ironic-API-Version': '1.87',
          })
        ).status,
      ).toBe(404);
      await system.api('DELETE', '/v1/ports/eth0');
    });

    it('port lists page with next links to the end, and take `fields`', async () => {
      const uuids: string[] = [];
      for (let i = 10; i < 17; i++) {
        const res = await system.api('POST', '/v1/ports', {
          node_uuid: node.uuid,
          address: mac(i),
        });
        uuids.push(res.body.uuid);
      }
      const seen: string[] = [];
      let url: string | undefined = `/v1/ports?limit=3&fields=uuid,address`;
      let pages = 0;
      while (url) {
        const res = await system.api('GET', url, undefined, V78);
        expect(res.status).toBe(200);
        for (const p of res.body.ports) {
          expect(Object.keys(p).sort()).toEqual(['address', 'links', 'uuid']);
          seen.push(p.uuid);
        }
        url = res.body.next?.slice(system.apiUrl.length);
        pages++;
      }
      expect(seen).toEqual(uuids);
      expect(pages).toBe(3);
    });
  });

  describe('port groups', () => {
    it('a port group is created, found by name, holds ports, and is deleted once empty', async () => {
      const group = await system.api('POST', '/v1/portgroups', {
        node_uuid: node.uuid,
        name: 'bond0',
        address: '52:54:00:cc:00:01',
        mode: '802.3ad',
        properties: { miimon: '100' },
      });
      expect(group.status, group.text).toBe(201);
      expect(group.body).toMatchObject({
        name: 'bond0',
        node_uuid: node.uuid,
        mode: '802.3ad',
        properties: { miimon: '100' },
        standalone_ports_supported: true,
      });
      expect((await system.api('GET', '/v1/portgroups/bond0')).body.uuid).toBe(group.body.uuid);
      expect((await system.api('GET', '/v1/portgroups')).body.portgroups).toEqual([
        {
          uuid: group.body.uuid,
          address: '52:54:00:cc:00:01',
          name: 'bond0',
          links: group.body.links,
        },
      ]);
      expect(
        (await system.api('GET', `/v1/nodes/${node.name}/portgroups`)).body.portgroups,
      ).toHaveLength(1);

      const member = await system.api('POST', '/v1/ports', {
        node_uuid: node.uuid,
        address: mac(40),
        portgroup_uuid: group.body.uuid,
      });
      expect(member.status, member.text).toBe(201);
      const ports = await system.api('GET', '/v1/portgroups/bond0/ports');
      expect(ports.body.ports.map((p: any) => p.uuid)).toEqual([member.body.uuid]);
      const elsewhere = await system.api('POST', '/v1/ports', {
        node_uuid: other.uuid,
        address: mac(41),
        portgroup_uuid: group.body.uuid,
      });
      expect(elsewhere.status).toBe(400);
      expect(faultOf(elsewhere.body)).toMatch(/different nodes/);

      const patched = await system.api('PATCH', '/v1/portgroups/bond0', [
        { op: 'replace', path: '/mode', value: 'active-backup' },
      ]);
      expect(patched.body.mode).toBe('active-backup');

      const busy = await system.api('DELETE', '/v1/portgroups/bond0');
      expect(busy.status).toBe(400);
      expect(faultOf(busy.body)).toMatch(/contains ports/);
      await system.api('DELETE', `/v1/ports/${member.body.uuid}`);
      expect((await system.api('DELETE', '/v1/portgroups/bond0')).status).toBe(204);
      expect((await system.api('GET', '/v1/portgroups/bond0')).status).toBe(404);
    });

    it('mode and properties are hidden before 1.26, and port groups do not exist before 1.23', async () => {
      const group = await system.api('POST', '/v1/portgroups', {
        node_uuid: node.uuid,
        name: 'bond1',
      });
      const at25 = await system.api('GET', '/v1/portgroups/bond1', undefined, {
        'X-OpenStack-Ironic-API-Version': '1.25',
      });
      expect(at25.body).not.toHaveProperty('mode');
      expect(at25.body.name).toBe('bond1');
      const at22 = await system.api('GET', '/v1/portgroups/bond1', undefined, {
        'X-OpenStack-Ironic-API-Version': '1.22',
      });
      expect(at22.status).toBe(404);
      await system.api('DELETE', `/v1/portgroups/${group.body.uuid}`);
    });
  });

  describe('drivers and conductors', () => {
    it('conductors are listed from the conductors table: hostname, group, alive', async () => {
      const list = await system.api('GET', '/v1/conductors', undefined, V78);
      expect(list.status).toBe(200);
      expect(list.body.conductors).toHaveLength(1);
      const conductor = list.body.conductors[0];
      expect(conductor).toMatchObject({ conductor_group: '', alive: true });
      expect(conductor.hostname).toMatch(/^conductor-/);
      expect(conductor.links[0].href).toBe(`${system.apiUrl}/v1/conductors/${conductor.hostname}`);
      const shown = await system.api('GET', `/v1/conductors/${conductor.hostname}`, undefined, V78);
      expect(shown.body).toMatchObject({
        hostname: conductor.hostname,
        alive: true,
        drivers: ['redfish', 'ipmi', 'fake-hardware'],
      });
      expect((await system.api('GET', '/v1/conductors/nobody')).status).toBe(404);
    });

    it('drivers are the hardware types, hosted by the live conductors', async () => {
      const conductor = (await system.api('GET', '/v1/conductors')).body.conductors[0].hostname;
      const list = await system.api('GET', '/v1/drivers', undefined, V78);
      expect(list.status).toBe(200);
      expect(list.body.drivers.map((d: any) => [d.name, d.hosts, d.type])).toEqual([
        ['redfish', [conductor], 'dynamic'],
        ['ipmi', [conductor], 'dynamic'],
        ['fake-hardware', [conductor], 'dynamic'],
      ]);
      expect(list.body.drivers[0]).not.toHaveProperty('default_power_interface');

      const redfish = await system.api('GET', '/v1/drivers/redfish', undefined, V78);
      expect(redfish.body).toMatchObject({
        name: 'redfish',
        hosts: [conductor],
        type: 'dynamic',
        default_power_interface: 'redfish',
        enabled_power_interfaces: ['redfish'],
        default_boot_interface: 'redfish-virtual-media',
        enabled_boot_interfaces: ['redfish-virtual-media', 'ipxe'],
        default_deploy_interface: 'direct',
        default_console_interface: 'no-console',
      });
      expect(redfish.body).not.toHaveProperty('default_firmware_interface'); // 1.86
      const detailed = await system.api('GET', '/v1/drivers?detail=True', undefined, V78);
      expect(detailed.body.drivers[1].default_management_interface).toBe('ipmitool');
      expect(detailed.body.drivers[1].default_boot_interface).toBe('ipxe');
      expect(detailed.body.drivers[2].default_management_interface).toBe('fake');

      const properties = await system.api('GET', '/v1/drivers/redfish/properties');
      expect(properties.body.redfish_address).toMatch(/Required/);
      const ipmi = await system.api('GET', '/v1/drivers/ipmi/properties');
      expect(ipmi.body.ipmi_password).toMatch(/shown as \*{6}/);
      const missing = await system.api('GET', '/v1/drivers/idrac');
      expect(missing.status).toBe(404);
      expect(faultOf(missing.body)).toMatch(
        /Could not find the following driver\(s\) or hardware type\(s\): idrac/,
      );
      expect((await system.api('GET', '/v1/drivers?type=classic')).body.drivers).toEqual([]);
    });

    it('shards count the nodes of each shard', async () => {
      await system.api('PATCH', `/v1/nodes/${node.uuid}`, [
        { op: 'add', path: '/shard', value: 'east' },
      ]);
      const shards = await system.api('GET', '/v1/shards');
      expect(shards.body).toEqual({ shards: [{ name: 'east', count: 1 }] });
      expect((await system.api('GET', '/v1/shards', undefined, V78)).status).toBe(404);
    });
  });

  describe('OpenAPI', () => {
    it('the document is generated from the route schemas, and /docs renders it', async () => {
      const doc = await (await fetch(`${system.apiUrl}/openapi.json`)).json();
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.info.version).toBe('1.96');
      for (const path of [
        '/v1/nodes',
        '/v1/nodes/{node_ident}',
        '/v1/nodes/{node_ident}/management/boot_device',
        '/v1/ports',
        '/v1/portgroups',
        '/v1/drivers',
        '/v1/conductors',
        '/v1/inspection_rules',
      ]) {
        expect(doc.paths, path).toHaveProperty([path]);
      }
      // Node answers are described by the contracts' node model, which also serializes them.
      const nodeAnswer =
        doc.paths['/v1/nodes/{node_ident}'].get.responses['200'].content['application/json'].schema;
      expect(nodeAnswer.properties.provision_state.type).toEqual(['string', 'null']);
      expect(nodeAnswer.properties).toHaveProperty('driver_info');
      const create = doc.paths['/v1/nodes'].post.requestBody.content['application/json'].schema;
      expect(create.required).toEqual(['driver']);
      expect(create.properties.driver.enum).toEqual(['redfish', 'ipmi', 'fake-hardware']);
      const list = doc.paths['/v1/nodes'].get.parameters.map((p: any) => p.name);
      expect(list).toEqual(
        expect.arrayContaining(['limit', 'marker', 'sort_key', 'fields', 'provision_state']),
      );

      const page = await fetch(`${system.apiUrl}/docs`, { redirect: 'follow' });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toMatch(/swagger/i);
    });
  });
});
