// Firmware over Redfish end to end: the components read when a node is managed, flashed by the
// firmware interface's update clean step (one SimpleUpdate per component, its BMC task waited for,
// the server rebooted when the new firmware runs only after a boot), shown by
// /v1/nodes/{node}/firmware, with the API and with the real `baremetal` CLI (its clean; the
// python-ironicclient here, Debian's 5.0.1, has no `node firmware list`, which came in 5.4.0).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, waitFor, type Fleet } from '@ingot/lab';
import { succeedingBaremetal } from './support/baremetal-cli.js';
import { ImageOrigin, scratchDir } from './support/images.js';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

const API_VERSION = '1.95';
const BIOS_IMAGE = '/bios-2.11.0.bin';

describe('firmware over Redfish', () => {
  let system: Installation;
  let fleet: Fleet;
  let hosts: ServerHost[];
  let origin: ImageOrigin;
  let scratch: { path: string; remove(): Promise<void> };

  beforeAll(async () => {
    scratch = await scratchDir();
    // The lab BMC reads the component and the version from the image's name.
    await writeFile(join(scratch.path, 'bios.bin'), 'lab firmware image\n');
    origin = await ImageOrigin.start({ [BIOS_IMAGE]: join(scratch.path, 'bios.bin') });
    fleet = await startFleet({ count: 2, powerDelayMs: 50 });
    for (const server of fleet.servers) server.bmc.firmwareUpdateMs = 1500;
    // The update step is asked again at each heartbeat: heartbeats every 1.5 to 3 s.
    system = await Installation.start({ INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '5', LOG_LEVEL: 'info' });
    hosts = await Promise.all(
      fleet.servers.map((s) => ServerHost.create(s, { workDir: system.workDir })),
    );
  }, 120_000);
  afterAll(async () => {
    await Promise.all((hosts ?? []).map((h) => h.stop()));
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  async function manageable(index: number): Promise<string> {
    const uuid = await enroll(system, fleet.servers[index]!);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    return uuid;
  }

  const baremetal = succeedingBaremetal(() => system.apiUrl, API_VERSION);
  const cleanFinished = (uuid: string, state: 'manageable' | 'clean failed') =>
    waitFor(
      `node ${uuid} ${state} after its clean`,
      async () => {
        const node = await getNode(system, uuid);
        const settled = state === 'clean failed' || node.target_provision_state === null;
        return node.provision_state === state && settled ? node : undefined;
      },
      120_000,
    );
  const firmwareOf = async (uuid: string) => {
    const res = await system.api('GET', `/v1/nodes/${uuid}/firmware`);
    expect(res.status).toBe(200);
    return Object.fromEntries(res.body.firmware.map((c: any) => [c.component, c]));
  };
  const updateBios = () =>
    JSON.stringify([
      {
        interface: 'firmware',
        step: 'update',
        args: { settings: [{ component: 'bios', url: `${origin.url}${BIOS_IMAGE}` }] },
      },
    ]);

  it('managing a node reads its firmware components; GET /v1/nodes/{node}/firmware lists them from 1.86', async () => {
    const uuid = await manageable(0);
    expect((await getNode(system, uuid)).firmware_interface).toBe('redfish');
    const res = await system.api('GET', `/v1/nodes/${uuid}/firmware`);
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.firmware.map((c: any) => [c.component, c]));
    expect(Object.keys(byName).sort()).toEqual(['bios', 'bmc', 'nic:NIC1']);
    expect(byName.bios).toEqual({
      component: 'bios',
      initial_version: '2.10.2',
      current_version: '2.10.2',
      last_version_flashed: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updated_at: null,
    });
    expect(byName.bmc).toMatchObject({ initial_version: '5.10.00', current_version: '5.10.00' });

    const some = await system.api('GET', `/v1/nodes/${uuid}/firmware?fields=component`);
    expect(some.body.firmware[0]).toEqual({
      component: expect.any(String),
      created_at: expect.any(String),
      updated_at: null,
    });
    const identity = await system.api('GET', `/v1/nodes/${uuid}/firmware?fields=vendor`);
    expect(identity.status).toBe(400);
    const old = await system.api('GET', `/v1/nodes/${uuid}/firmware`, undefined, {
      'x-openstack-ironic-api-version': '1.85',
    });
    expect(old.status).toBe(404);
    expect((await system.api('GET', '/v1/nodes/no-such-node/firmware')).status).toBe(404);
  });

  it('update (real CLI: node clean --clean-steps) flashes the BIOS, reboots into it, and records the version', async () => {
    const uuid = (await system.api('GET', `/v1/nodes/${fleet.servers[0]!.name}`)).body.uuid;
    const bmc = fleet.servers[0]!.bmc;
    await baremetal('node', 'clean', uuid, '--clean-steps', updateBios());
    const node = await cleanFinished(uuid, 'manageable');
    expect(node.last_error).toBeNull();
    expect(node.clean_step).toEqual({});
    expect(bmc.state.firmware.BIOS).toEqual({ version: '2.11.0', pendingVersion: undefined });
    expect(origin.hits.get(BIOS_IMAGE)).toBe(1);

    const events = (
      (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[]
    ).map((h) => h.event as string);
    const at = (text: string) => events.findIndex((e) => e.startsWith(text));
    // In order: started, flashing on the BMC (the wait), the reboot that applies it, finished.
    const order = [
      'clean step update started',
      `clean step update: bios firmware 1 of 1 from ${origin.url}${BIOS_IMAGE} is being flashed by the BMC (version 2.10.2 now)`,
      'clean step update needs a restart to take effect',
      'booting the agent ramdisk from virtual media for clean again: firmware step update takes effect at boot',
      'clean step update finished',
    ].map(at);
    expect(
      order.every((i) => i >= 0),
      events.join('\n'),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    const firmware = await firmwareOf(uuid);
    expect(firmware.bios).toMatchObject({
      initial_version: '2.10.2',
      current_version: '2.11.0',
      last_version_flashed: '2.11.0',
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    // The other components were not touched.
    expect(firmware.bmc).toMatchObject({ current_version: '5.10.00', last_version_flashed: null });
  });

  it("an update the BMC fails ends the clean in 'clean failed' with the BMC's message; the version stays", async () => {
    const uuid = await manageable(1);
    const bmc = fleet.servers[1]!.bmc;
    bmc.firmwareUpdateFailure = 'The image signature of System BIOS could not be verified.';
    const res = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'clean',
      clean_steps: [
        ...JSON.parse(updateBios()),
        { interface: 'deploy', step: 'erase_devices_metadata' },
      ],
    });
    expect(res.status).toBe(202);
    const failed = await cleanFinished(uuid, 'clean failed');
    expect(failed.last_error).toMatch(
      /firmware step update failed: the BMC could not update bios from http:\/\/127\.0\.0\.1:\d+\/bios-2\.11\.0\.bin: The image signature of System BIOS could not be verified\./,
    );
    expect(bmc.state.firmware.BIOS).toEqual({ version: '2.10.2', pendingVersion: undefined });
    const events = (
      (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[]
    ).map((h) => h.event as string);
    // Nothing after the failed step was attempted.
    expect(events.some((e) => e.startsWith('clean step erase_devices_metadata'))).toBe(false);
    expect(events.some((e) => e.startsWith('clean step update needs a restart'))).toBe(false);
    expect((await firmwareOf(uuid)).bios).toMatchObject({
      current_version: '2.10.2',
      last_version_flashed: null,
    });
    bmc.firmwareUpdateFailure = undefined;
  });
});
