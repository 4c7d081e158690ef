import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, startFleet, type Fleet } from '@ingot/lab';
import { enroll, setProvision, waitForFailedState, waitForState } from './support/nodes.js';

describe("out-of-band inspection (inspect_interface 'redfish'): the BMC describes the server", () => {
  let system: Installation;
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ count: 2, powerDelayMs: 50 });
    // A BMC out of reach is retried for a few seconds here (5 min by default) before it fails.
    system = await Installation.start({
      LOG_LEVEL: 'info',
      INGOT_TRANSIENT_RETRY_WINDOW_S: '3',
      INGOT_TRANSIENT_RETRY_DELAY_MS: '1000',
    });
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  it('sets properties and ports without booting anything', async () => {
    const server = fleet.servers[1]!; // two disks: 64 GiB SSD and 500 GiB HDD
    const uuid = await enroll(system, server, { inspect_interface: 'redfish' });
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    const resetsBefore = server.bmc.state.resets.length;

    await setProvision(system, uuid, 'inspect');
    const node = await waitForState(system, uuid, 'manageable');
    expect(node.inspect_interface).toBe('redfish');
    expect(node.last_error).toBeNull();
    expect(node.properties).toMatchObject({
      cpus: server.profile.cpus,
      memory_mb: server.profile.memory_mb,
      cpu_arch: 'x86_64',
      local_gb: 63, // the smallest disk of 4 GiB or more, less one, as Ironic reports it
    });
    const ports = (await system.api('GET', `/v1/nodes/${uuid}/ports?detail=True`)).body.ports;
    expect(ports.map((p: any) => p.address).sort()).toEqual([...server.macs].sort());
    // No agent, no media, no power cycle.
    expect(server.bmc.state.resets.length).toBe(resetsBefore);
    expect(server.bmc.state.media.Cd.image).toBeNull();
    const history = (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[];
    expect(history.map((h) => h.event)).toContainEqual(
      expect.stringMatching(
        /inspected out of band: \d+ CPUs, \d+ MiB, 2 disks, 2 NICs \(2 new ports\)/,
      ),
    );

    // Inspecting again finds the ports already there.
    await setProvision(system, uuid, 'inspect');
    await waitForState(system, uuid, 'manageable');
    expect((await system.api('GET', `/v1/nodes/${uuid}/ports`)).body.ports).toHaveLength(2);
  });

  it('only where the hardware type can: an ipmi node refuses it, a BMC that fails fails the inspection', async () => {
    const refused = await system.api('POST', '/v1/nodes', {
      driver: 'ipmi',
      inspect_interface: 'redfish',
      driver_info: { ipmi_address: '127.0.0.1' },
    });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/inspect_interface 'redfish'.*'agent' only/);

    const server = fleet.servers[0]!;
    const uuid = await enroll(system, server, { inspect_interface: 'redfish' });
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await server.bmc.setFault('refuse');
    await setProvision(system, uuid, 'inspect');
    const failed = await waitForFailedState(system, uuid, 'inspect failed', 60_000);
    expect(failed.last_error).toMatch(/unreachable|refused|connect/i);
    expect(failed.last_error).toMatch(/still failing after \d+ tries over \d+ s/);
    await server.bmc.setFault('none');
  });
});
