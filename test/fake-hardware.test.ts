import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation } from '@ingot/lab';
import { NodeStore } from './support/db.js';
import { getNode, setPower, setProvision, waitForPower, waitForState } from './support/nodes.js';

/** Nothing listens on port 9: a download of this image would fail the deploy. */
const UNREACHABLE_IMAGE = 'http://127.0.0.1:9/never-downloaded.qcow2';

describe('fake-hardware: every interface fake, as in Ironic', () => {
  let system: Installation;

  beforeAll(async () => {
    system = await Installation.start();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('goes enroll → manage → inspect → provide → deploy → power → undeploy → delete with no agent, image or BMC', async () => {
    const created = await system.api('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: 'fake-1',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ deploy_interface: 'fake', inspect_interface: 'fake' });
    const uuid = created.body.uuid as string;
    const port = await system.api('POST', '/v1/ports', {
      node_uuid: uuid,
      address: '52:54:00:00:00:01',
    });
    expect(port.status, port.text).toBe(201);

    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'inspect');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    expect(await waitForState(system, uuid, 'available')).toMatchObject({
      power_state: 'power off',
      last_error: null,
    });

    const patched = await system.api('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'add', path: '/instance_info/image_source', value: UNREACHABLE_IMAGE },
      {
        op: 'add',
        path: '/instance_info/image_checksum',
        value: 'd41d8cd98f00b204e9800998ecf8427e',
      },
    ]);
    expect(patched.status, patched.text).toBe(200);
    await setProvision(system, uuid, 'active');
    expect(await waitForState(system, uuid, 'active')).toMatchObject({
      power_state: 'power on',
      last_error: null,
    });
    const device = await system.api('GET', `/v1/nodes/${uuid}/management/boot_device`);
    expect(device.body).toEqual({ boot_device: 'disk', persistent: true });

    await setPower(system, uuid, 'power off');
    await waitForPower(system, uuid, 'power off');
    await setPower(system, uuid, 'power on');
    await waitForPower(system, uuid, 'power on');

    await setProvision(system, uuid, 'deleted');
    expect(await waitForState(system, uuid, 'available')).toMatchObject({
      power_state: 'power off',
      instance_info: {},
    });

    const history = (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as {
      event: string;
    }[];
    const events = history.map((h) => h.event).join('\n');
    expect(events).toMatch(/fake inspection finished/);
    expect(events).toMatch(/fake cleaning finished/);
    expect(events).toMatch(/fake deploy: no agent to wait for/);
    expect(events).toMatch(/fake deploy finished/);
    expect(events).not.toMatch(/agent ramdisk|image .* ready/);

    expect((await system.api('DELETE', `/v1/nodes/${uuid}`)).status).toBe(204);
    expect((await system.api('GET', `/v1/nodes/${uuid}`)).status).toBe(404);
  });

  it('passes wait call-back on the way to active, as the agent path does', async () => {
    const created = await system.api('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: 'fake-2',
    });
    const uuid = created.body.uuid as string;
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available');
    await system.api('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'add', path: '/instance_info/image_source', value: UNREACHABLE_IMAGE },
    ]);
    await setProvision(system, uuid, 'active');
    await waitForState(system, uuid, 'active');
    const history = (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as {
      to_state: string | null;
    }[];
    const states = history.map((h) => h.to_state).filter((s) => s);
    expect(states.slice(-4)).toEqual(['deploying', 'wait call-back', 'deploying', 'active']);
    expect((await getNode(system, uuid)).last_error).toBeNull();
  });

  it('a fake deploy whose conductor died in wait call-back is finished by the sweeper, not left to its deadline', async () => {
    const created = await system.api('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: 'fake-3',
    });
    const uuid = created.body.uuid as string;
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available');
    const store = await NodeStore.open(system);
    try {
      await store.abandonIn(uuid, 'wait call-back', 'active');
    } finally {
      await store.close();
    }
    // The sweeper runs every 5 s; the deploy deadline is 30 min away.
    const node = await waitForState(system, uuid, 'active', 20_000);
    expect(node).toMatchObject({ power_state: 'power on', last_error: null });
  });
});
