import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, Installation } from '@ingot/lab';
import {
  enroll,
  getNode,
  setPower,
  setProvision,
  waitForPower,
  waitForState,
} from './support/nodes.js';

describe('lab servers enrolled, managed and powered over Redfish', () => {
  let system: Installation;
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ count: 5, powerDelayMs: 50 });
    system = await Installation.start();
  });
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  it('five servers go enroll → verifying → manageable and their power follows the API, as their BMCs report', async () => {
    const uuids = await Promise.all(fleet.servers.map((server) => enroll(system, server)));
    for (const uuid of uuids) expect((await getNode(system, uuid)).provision_state).toBe('enroll');

    await Promise.all(uuids.map((uuid) => setProvision(system, uuid, 'manage')));
    const managed = await Promise.all(
      uuids.map((uuid) => waitForState(system, uuid, 'manageable')),
    );
    for (const node of managed) {
      expect(node.last_error).toBeNull();
      expect(node.power_state).toBe('power off');
    }

    await Promise.all(uuids.map((uuid) => setPower(system, uuid, 'power on')));
    await Promise.all(uuids.map((uuid) => waitForPower(system, uuid, 'power on')));
    for (const server of fleet.servers) expect(server.bmc.state.power).toBe('On');

    await Promise.all(uuids.map((uuid) => setPower(system, uuid, 'power off')));
    await Promise.all(uuids.map((uuid) => waitForPower(system, uuid, 'power off')));
    for (const server of fleet.servers) {
      expect(server.bmc.state.power).toBe('Off');
      expect(server.bmc.state.resets).toEqual(['On', 'ForceOff']);
    }
  });

  it('records each transition in the node history with the request id that caused it', async () => {
    const server = fleet.servers[0]!;
    const history = await system.api('GET', `/v1/nodes/${server.name}/history`);
    expect(history.status).toBe(200);
    const transitions = history.body.history
      .filter((h: any) => h.event_type === 'provisioning' && h.to_state)
      .map((h: any) => `${h.from_state}->${h.to_state}`);
    expect(transitions).toEqual(['enroll->verifying', 'verifying->manageable']);
    for (const entry of history.body.history) expect(entry.request_id).toMatch(/^req-/);
  });

  it('a verb the state machine does not allow is refused with the reason, and nothing changes', async () => {
    const server = fleet.servers[1]!;
    const res = await system.api('PUT', `/v1/nodes/${server.name}/states/provision`, {
      target: 'rescue',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.error_message).faultstring).toMatch(
      /Cannot 'rescue' a node in state 'manageable'/,
    );
    expect((await getNode(system, server.name)).provision_state).toBe('manageable');
  });
});
