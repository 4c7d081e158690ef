import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '@ingot/bus';
import { startFleet, type Fleet, Installation } from '@ingot/lab';
import { enroll, setProvision, waitForPower, waitForState } from './support/nodes.js';

describe('a command published twice acts once', () => {
  let system: Installation;
  let fleet: Fleet;
  let bus: Bus;

  beforeAll(async () => {
    fleet = await startFleet({ count: 1 });
    // A short JetStream duplicate window lets the test reach the conductor's own de-duplication.
    system = await Installation.start({ INGOT_BUS_DUPLICATE_WINDOW_MS: '1000' });
    bus = await Bus.connect({ prefix: system.prefix, duplicateWindowMs: 1000 });
  });
  afterAll(async () => {
    await bus?.close();
    await system?.stop();
    await fleet?.stop();
  });

  it('inside the duplicate window JetStream drops the copy; after it, the conductor recognises the id', async () => {
    const server = fleet.servers[0]!;
    const uuid = await enroll(system, server);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');

    const id = randomUUID();
    const command = {
      id,
      type: 'node.power',
      site: '',
      node_uuid: uuid,
      request_id: 'req-dedupe-test',
      issued_at: new Date().toISOString(),
      payload: { target: 'rebooting' },
    };
    const subject = bus.subjects.conductor('');
    const first = await bus.publish(subject, command, { msgId: id });
    const second = await bus.publish(subject, command, { msgId: id });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    await waitForPower(system, uuid, 'power on');

    await new Promise((r) => setTimeout(r, 1_500));
    const late = await bus.publish(subject, command, { msgId: id });
    expect(late.duplicate).toBe(false);
    // Give the conductor time to (not) act on the late copy.
    await new Promise((r) => setTimeout(r, 1_500));

    // One reset reached the BMC (a reboot of a server that is off powers it on).
    expect(server.bmc.state.resets).toEqual(['On']);
    const history = (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[];
    expect(
      history.filter((h) => h.event_type === 'power' && h.request_id === 'req-dedupe-test'),
    ).toHaveLength(1);
  });
});
