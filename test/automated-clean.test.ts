import { open } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, type Fleet } from '@ingot/lab';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';
import { readRange } from './support/images.js';

const MARKER = Buffer.from('INGOT-TEST-PARTITION-TABLE');

/** Something on the disk that metadata cleaning wipes (its first MiB). */
async function writeMarker(disk: string): Promise<void> {
  const handle = await open(disk, 'r+');
  try {
    await handle.write(MARKER, 0, MARKER.length, 0);
  } finally {
    await handle.close();
  }
}
const hasMarker = async (disk: string) => (await readRange(disk, 0, MARKER.length)).equals(MARKER);

describe("automated cleaning per node: a node's automated_clean over the conductor's INGOT_AUTOMATED_CLEAN", () => {
  let system: Installation;
  let fleet: Fleet;
  let hosts: ServerHost[];

  beforeAll(async () => {
    fleet = await startFleet({ count: 2, powerDelayMs: 50 });
    // The conductor's default is metadata cleaning (Metal3's).
    system = await Installation.start({ INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10', LOG_LEVEL: 'info' });
    hosts = await Promise.all(
      fleet.servers.map((server) => ServerHost.create(server, { workDir: system.workDir })),
    );
  }, 120_000);
  afterAll(async () => {
    await Promise.all((hosts ?? []).map((h) => h.stop()));
    await system?.stop();
    await fleet?.stop();
  });

  const events = async (uuid: string) =>
    ((await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as { event: string }[])
      .map((h) => h.event)
      .join('\n');
  const diagnose = (i: number) => `agent output:\n${hosts[i]!.output().slice(-3000)}`;

  it('automated_clean false: provide goes straight to available, no agent boots, the disk keeps its data', async () => {
    const server = fleet.servers[0]!;
    const disk = hosts[0]!.disks['/dev/sda']!;
    await writeMarker(disk);
    const uuid = await enroll(system, server, { automated_clean: false });
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    const node = await waitForState(system, uuid, 'available');
    expect(node).toMatchObject({ automated_clean: false, last_error: null });

    const history = await events(uuid);
    expect(history).toMatch(
      /automated cleaning is disabled for this node \(automated_clean is false\)/,
    );
    expect(history).not.toMatch(/agent ramdisk|clean step/);
    expect(server.bmc.state.media.Cd.image).toBeNull();
    expect(server.bmc.state.resets).toEqual([]);
    expect(await hasMarker(disk)).toBe(true);
  });

  it("automated_clean true cleans even when the conductor's default is disabled; null follows the default", async () => {
    await system.kill('conductor', 'SIGTERM');
    await system.startService('conductor', { INGOT_AUTOMATED_CLEAN: 'disabled' }, 'conductor-2');

    const server = fleet.servers[1]!;
    const disk = hosts[1]!.disks['/dev/sda']!;
    await writeMarker(disk);
    const uuid = await enroll(system, server, { automated_clean: true });
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    const node = await waitForState(system, uuid, 'available', 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${diagnose(1)}`);
    });
    expect(node).toMatchObject({ automated_clean: true, last_error: null });
    const history = await events(uuid);
    expect(history).toMatch(/booting the agent ramdisk from virtual media for clean/);
    expect(history).toMatch(/every clean step finished/);
    expect(await hasMarker(disk)).toBe(false);

    // The first node, back to the conductor's setting (disabled now): no cleaning again.
    const first = (await getNode(system, fleet.servers[0]!.name)).uuid as string;
    const unset = await system.api('PATCH', `/v1/nodes/${first}`, [
      { op: 'remove', path: '/automated_clean' },
    ]);
    expect(unset.status, unset.text).toBe(200);
    await setProvision(system, first, 'manage');
    await waitForState(system, first, 'manageable');
    await setProvision(system, first, 'provide');
    expect(await waitForState(system, first, 'available')).toMatchObject({
      automated_clean: null,
      last_error: null,
    });
    expect(await events(first)).toMatch(
      /automated cleaning is disabled by the conductor \(INGOT_AUTOMATED_CLEAN=disabled\)/,
    );
    expect(await hasMarker(hosts[0]!.disks['/dev/sda']!)).toBe(true);
  }, 180_000);
});
