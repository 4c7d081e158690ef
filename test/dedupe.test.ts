import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus, commandEnvelope, REPLY_TO_HEADER, Requester } from '@ingot/bus';
import { startFleet, type Fleet, Installation } from '@ingot/lab';
import { enroll, setProvision, waitForPower, waitForState } from './support/nodes.js';

describe('a command published twice acts once', () => {
  let system: Installation;
  let fleet: Fleet;
  let bus: Bus;

  beforeAll(async () => {
    fleet = await startFleet({ count: 2 });
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

  it('a BMC command delivered again after it was answered is not carried out again', async () => {
    // What a lost acknowledgement (a worker killed after answering) or a NATS restart that had
    // not stored it leads to: the same command, delivered after the conductor went on.
    const server = fleet.servers[1]!;
    const uuid = await enroll(system, server);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    const subject = bus.subjects.power('');
    const target = { site: '', node_uuid: uuid, request_id: 'req-bmc-dedupe' };
    const requester = new Requester<any>(bus, 'dedupe-test');
    const setPower = (to: string) => ({ type: 'bmc.set_power', payload: { target: to } });
    const timedOut = () => new Error('no answer from the power worker');
    try {
      const on = await requester.request(subject, target, setPower('power on'), 30_000, timedOut);
      expect(on).toMatchObject({ ok: true, power_state: 'power on' });
      const offId = randomUUID();
      const off = commandEnvelope(offId, target, setPower('power off'), 60_000);
      const answers: any[] = [];
      const replyTo = `_INGOT_TEST.${offId}`;
      const sub = bus.subscribeCore(replyTo, (answer) => answers.push(answer));
      const publishOff = (msgId: string) =>
        bus.publish(subject, off, { msgId, headers: { [REPLY_TO_HEADER]: replyTo } });
      await publishOff(offId);
      await expect.poll(() => answers.length, { timeout: 30_000 }).toBe(1);
      expect(answers[0]).toMatchObject({ command_id: offId, ok: true, power_state: 'power off' });
      expect(server.bmc.state.power).toBe('Off');

      // The conductor went on: the server is on again.
      const again = await requester.request(
        subject,
        target,
        setPower('power on'),
        30_000,
        timedOut,
      );
      expect(again).toMatchObject({ ok: true, power_state: 'power on' });
      const resets = [...server.bmc.state.resets];

      // The 'power off' comes back (a new stream message, as after a NATS restart).
      await publishOff(randomUUID());
      await expect.poll(() => answers.length, { timeout: 30_000 }).toBe(2);
      // Answered with what the server is now, and not carried out.
      expect(answers[1]).toMatchObject({ command_id: offId, ok: true, power_state: 'power on' });
      expect(server.bmc.state.resets).toEqual(resets);
      expect(server.bmc.state.power).toBe('On');
      sub.unsubscribe();
    } finally {
      requester.close();
    }
  });
});
