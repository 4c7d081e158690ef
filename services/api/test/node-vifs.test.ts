import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { ports } from '@ingot/store';
import { TestApi } from './support/test-api.js';

const mac = (node: number, i: number) =>
  `52:54:00:0c:${node.toString(16).padStart(2, '0')}:${i.toString(16).padStart(2, '0')}`;

describe('VIF attachment (/v1/nodes/{node}/vifs) records the VIF on a free port, as Ironic', () => {
  let api: TestApi;
  let nodeCount = 0;

  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(async () => {
    await api?.stop();
  });

  /** A node with ports made from `specs` (in that creation order); returns its uuid and ports. */
  async function nodeWithPorts(specs: Record<string, unknown>[]) {
    const n = ++nodeCount;
    const uuid = await api.node(`vif-node-${n}`);
    const uuids: string[] = [];
    for (const [i, spec] of specs.entries()) {
      const res = await api.call('POST', '/v1/ports', {
        node_uuid: uuid,
        address: mac(n, i),
        ...spec,
      });
      expect(res.status, res.fault).toBe(201);
      uuids.push(res.body.uuid);
    }
    return { uuid, ports: uuids };
  }
  const internalInfo = async (port: string) =>
    (await api.call('GET', `/v1/ports/${port}`)).body.internal_info;
  const vifs = async (node: string) => (await api.call('GET', `/v1/nodes/${node}/vifs`)).body;

  it('attach picks the PXE-enabled port, list reads it back, detach removes it', async () => {
    const node = await nodeWithPorts([{ pxe_enabled: false }, {}]);
    expect(await vifs(node.uuid)).toEqual({ vifs: [] });

    const attached = await api.call('POST', `/v1/nodes/${node.uuid}/vifs`, { id: 'vif-a' });
    expect(attached.status, attached.fault).toBe(204);
    expect(await internalInfo(node.ports[1]!)).toEqual({ tenant_vif_port_id: 'vif-a' });
    expect(await internalInfo(node.ports[0]!)).toEqual({});
    expect(await vifs(node.uuid)).toEqual({ vifs: [{ id: 'vif-a' }] });

    // The same VIF again: Ironic's VifAlreadyAttached.
    const again = await api.call('POST', `/v1/nodes/vif-node-${nodeCount}/vifs`, { id: 'vif-a' });
    expect(again.status).toBe(409);
    expect(again.fault).toBe(
      `Unable to attach VIF because VIF vif-a is already attached to Port ${node.ports[1]}`,
    );

    // A second VIF takes the remaining port; a third finds none.
    expect((await api.call('POST', `/v1/nodes/${node.uuid}/vifs`, { id: 'vif-b' })).status).toBe(
      204,
    );
    expect(await internalInfo(node.ports[0]!)).toEqual({ tenant_vif_port_id: 'vif-b' });
    expect(await vifs(node.uuid)).toEqual({ vifs: [{ id: 'vif-b' }, { id: 'vif-a' }] });
    const full = await api.call('POST', `/v1/nodes/${node.uuid}/vifs`, { id: 'vif-c' });
    expect(full.status).toBe(400);
    expect(full.fault).toBe('Unable to attach VIF vif-c, not enough free physical ports.');

    const unknown = await api.call('DELETE', `/v1/nodes/${node.uuid}/vifs/vif-c`);
    expect(unknown.status).toBe(400);
    expect(unknown.fault).toBe(
      `Unable to detach VIF vif-c from node ${node.uuid} because it is not attached to it.`,
    );
    const detached = await api.call('DELETE', `/v1/nodes/${node.uuid}/vifs/vif-a`);
    expect(detached.status, detached.fault).toBe(204);
    expect(await internalInfo(node.ports[1]!)).toEqual({});
    expect(await vifs(node.uuid)).toEqual({ vifs: [{ id: 'vif-b' }] });
  });

  it('detach also drops the pre-1.28 extra.vif_port_id, and keeps the rest', async () => {
    const node = await nodeWithPorts([{ extra: { vif_port_id: 'old', rack: 'r1' } }]);
    await api.db
      .update(ports)
      .set({ internalInfo: { tenant_vif_port_id: 'vif-x', other: 1 } })
      .where(eq(ports.uuid, node.ports[0]!));
    expect((await api.call('DELETE', `/v1/nodes/${node.uuid}/vifs/vif-x`)).status).toBe(204);
    const port = (await api.call('GET', `/v1/ports/${node.ports[0]}`)).body;
    expect(port.internal_info).toEqual({ other: 1 });
    expect(port.extra).toEqual({ rack: 'r1' });
  });

  it('prefers a port group, and honours port_uuid and portgroup_uuid (1.67)', async () => {
    const node = await nodeWithPorts([{}, {}, {}]);
    const group = await api.call('POST', '/v1/portgroups', {
      node_uuid: node.uuid,
      name: 'bond-v',
    });
    expect(group.status, group.fault).toBe(201);
    for (const port of node.ports.slice(1)) {
      const res = await api.call('PATCH', `/v1/ports/${port}`, [
        { op: 'add', path: '/portgroup_uuid', value: group.body.uuid },
      ]);
      expect(res.status, res.fault).toBe(200);
    }

    expect((await api.call('POST', `/v1/nodes/${node.uuid}/vifs`, { id: 'vif-g' })).status).toBe(
      204,
    );
    const shown = await api.call('GET', `/v1/portgroups/${group.body.uuid}`);
    expect(shown.body.internal_info).toEqual({ tenant_vif_port_id: 'vif-g' });
    expect(await vifs(node.uuid)).toEqual({ vifs: [{ id: 'vif-g' }] });

    const both = await api.call('POST', `/v1/nodes/${node.uuid}/vifs`, {
      id: 'vif-p',
      port_uuid: node.ports[2],
      portgroup_uuid: group.body.uuid,
    });
    expect(both.status).toBe(400);
    expect(both.fault).toBe('Cannot specify both port_uuid and portgroup_uuid');

    // port_uuid names a port outside any group (Ironic offers member ports only through
    // their group): a member is refused, a port on its own is used.
    const member = await api.call('POST', `/v1/nodes/${node.uuid}/vifs`, {
      id: 'vif-p',
      port_uuid: node.ports[2],
    });
    expect(member.status).toBe(400);
    expect(member.fault).toBe('Unable to attach VIF vif-p, not enough free physical ports.');
    const named = await api.call('POST', `/v1/nodes/${node.uuid}/vifs`, {
      id: 'vif-p',
      port_uuid: node.ports[0]!.toUpperCase(),
    });
    expect(named.status, named.fault).toBe(204);
    expect(await internalInfo(node.ports[0]!)).toEqual({ tenant_vif_port_id: 'vif-p' });

    // The group is taken: asking for it finds no free port.
    const taken = await api.call('POST', `/v1/nodes/${node.uuid}/vifs`, {
      id: 'vif-q',
      portgroup_uuid: group.body.uuid,
    });
    expect(taken.status).toBe(400);
    expect(taken.fault).toMatch(/not enough free physical ports/);

    expect((await api.call('DELETE', `/v1/nodes/${node.uuid}/vifs/vif-g`)).status).toBe(204);
    expect((await api.call('GET', `/v1/portgroups/${group.body.uuid}`)).body.internal_info).toEqual(
      {},
    );
  });

  it('two attachments at once get two different ports', async () => {
    const node = await nodeWithPorts([{}, {}]);
    const results = await Promise.all(
      ['vif-1', 'vif-2'].map((id) => api.call('POST', `/v1/nodes/${node.uuid}/vifs`, { id })),
    );
    expect(results.map((r) => r.status)).toEqual([204, 204]);
    const held = await Promise.all(node.ports.map(internalInfo));
    expect(held.map((i) => i.tenant_vif_port_id).sort()).toEqual(['vif-1', 'vif-2']);
  });

  it('refuses a VIF id that is no UUID or name, and exists from 1.28', async () => {
    const node = await nodeWithPorts([{}]);
    const bad = await api.call('POST', `/v1/nodes/${node.uuid}/vifs`, { id: 'a b' });
    expect(bad.status).toBe(400);
    expect(bad.fault).toMatch(/field 'id'/);
    const missing = await api.call('POST', `/v1/nodes/${node.uuid}/vifs`, { port_uuid: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.fault).toMatch(/field 'id' is required/);
    const old = await api.call('GET', `/v1/nodes/${node.uuid}/vifs`, undefined, '1.27');
    expect(old.status).toBe(404);
    const none = await api.call('GET', `/v1/nodes/no-such-node/vifs`);
    expect(none.status).toBe(404);
    expect(none.fault).toBe('Node no-such-node could not be found.');
  });

  it('skips ports Ironic would not use: a smart NIC port without its link, a plain port with one', async () => {
    const node = await nodeWithPorts([
      { is_smartnic: true },
      { local_link_connection: { port_id: 'Ethernet1', hostname: 'host-1' } },
    ]);
    const res = await api.call('POST', `/v1/nodes/${node.uuid}/vifs`, { id: 'vif-s' });
    expect(res.status).toBe(400);
    expect(res.fault).toBe('Unable to attach VIF vif-s, not enough free physical ports.');
  });
});
