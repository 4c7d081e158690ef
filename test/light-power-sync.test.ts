import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, LightBmcHost, waitFor } from '@ingot/lab';
import { getNode, setPower, setProvision, waitForPower, waitForState } from './support/nodes.js';

/**
 * The power sync bench's set-up in small: redfish nodes whose BMCs are systems of one light host
 * (one port, many systems), taken to resting states and watched by a fast power sync.
 */
describe('power sync against a light BMC host', () => {
  const NODES = 4;
  let system: Installation;
  let host: LightBmcHost;
  const uuids: string[] = [];

  beforeAll(async () => {
    host = await LightBmcHost.start({ count: NODES });
    system = await Installation.start({
      INGOT_POWER_SYNC_INTERVAL_MS: '300',
      INGOT_AUTOMATED_CLEAN: 'disabled',
      LOG_LEVEL: 'info',
    });
    for (let index = 0; index < NODES; index++) {
      const res = await system.api('POST', '/v1/nodes', {
        name: `light-${index}`,
        driver: 'redfish',
        driver_info: host.driverInfo(index),
        // What adoption needs: the image the server already runs.
        instance_info: { image_source: 'http://127.0.0.1:9/running.qcow2' },
      });
      expect(res.status, res.text).toBe(201);
      uuids.push(res.body.uuid as string);
    }
    await Promise.all(uuids.map((uuid) => setProvision(system, uuid, 'manage')));
    await Promise.all(uuids.map((uuid) => waitForState(system, uuid, 'manageable')));
    // Two available nodes, one active (adopted), one left manageable: resting states all.
    await Promise.all([0, 1].map((i) => setProvision(system, uuids[i]!, 'provide')));
    await setProvision(system, uuids[2]!, 'adopt');
    await Promise.all([0, 1].map((i) => waitForState(system, uuids[i]!, 'available')));
    await waitForState(system, uuids[2]!, 'active');
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    await host?.stop();
  });

  it('powers a node through its system of the host', async () => {
    await setPower(system, uuids[0]!, 'power on');
    await waitForPower(system, uuids[0]!, 'power on');
    expect(host.stateOf(0).power).toBe('On');
    expect(host.stateOf(1).power).toBe('Off');
  });

  it('sees out-of-band power changes of nodes in every resting state', async () => {
    const flips: Array<[number, 'On' | 'Off', string]> = [
      [0, 'Off', 'power off'],
      [1, 'On', 'power on'],
      [2, 'On', 'power on'],
      [3, 'On', 'power on'],
    ];
    for (const [index, power] of flips) host.setPower(index, power);
    for (const [index, , expected] of flips) {
      const node = await waitFor(`node ${index} to show ${expected}`, async () => {
        const n = await getNode(system, uuids[index]!);
        return n.power_state === expected ? n : undefined;
      });
      expect(node.maintenance).toBe(false);
      const history = (await system.api('GET', `/v1/nodes/${uuids[index]}/history`)).body
        .history as Array<{ event: string }>;
      expect(history.map((h) => h.event)).toContain(
        `power state changed outside Ingot: '${expected === 'power on' ? 'power off' : 'power on'}' → '${expected}'`,
      );
    }
  });

  it('costs one GET per node and round: no new session, no service root', async () => {
    const counts = host.requestCounts();
    const total = host.requestCount;
    await waitFor('two more sync rounds', async () =>
      host.requestCounts().every((n, i) => n >= counts[i]! + 2) ? true : undefined,
    );
    const perSystem = host.requestCounts().reduce((sum, n, i) => sum + n - counts[i]!, 0);
    expect(host.requestCount - total).toBe(perSystem);
    expect(host.sessionCount).toBe(NODES);
  });
});
