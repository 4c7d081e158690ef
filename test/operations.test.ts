import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, waitFor, type Fleet } from '@ingot/lab';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';
import {
  ImageOrigin,
  makeTestImage,
  readRange,
  scratchDir,
  type TestImage,
} from './support/images.js';

const MiB = 1024 * 1024;

describe('manual clean, adopt, rebuild and abort', () => {
  let system: Installation;
  let fleet: Fleet;
  let hosts: ServerHost[];
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({ '/image.qcow2': image.qcow2Path });
    fleet = await startFleet({ count: 4, powerDelayMs: 50 });
    system = await Installation.start({ INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10', LOG_LEVEL: 'info' });
    // The fourth server gets no host: its ramdisk never boots, so it waits until aborted.
    hosts = await Promise.all(
      fleet.servers.slice(0, 3).map((s) => ServerHost.create(s, { workDir: system.workDir })),
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

  /** A wait or failed state keeps its target, so only the state itself is awaited. */
  const inState = (uuid: string, state: string) =>
    waitFor(`node ${uuid} in '${state}'`, async () => {
      const n = await getNode(system, uuid);
      return n.provision_state === state ? n : undefined;
    });

  const setImage = (uuid: string) =>
    system.api('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'add', path: '/instance_info/image_source', value: `${origin.url}/image.qcow2` },
      { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
    ]);

  it('a manual clean runs the requested steps and returns the node to manageable', async () => {
    const uuid = await manageable(0);
    const disk = hosts[0]!.disks['/dev/sda']!;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(disk, Buffer.alloc(4 * MiB, 0xab), { flag: 'r+' });

    const missing = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'clean',
    });
    expect(missing.status).toBe(400);
    const res = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'clean',
      clean_steps: [{ interface: 'deploy', step: 'erase_devices' }],
    });
    expect(res.status).toBe(202);
    const node = await waitForState(system, uuid, 'manageable', 60_000);
    expect(node.last_error).toBeNull();
    expect((await readRange(disk, 0, 4 * MiB)).every((b) => b === 0)).toBe(true);
    const history = (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[];
    expect(history.map((h) => h.event)).toContain('clean step erase_devices finished');
    expect(history.map((h) => h.event)).not.toContain('clean step erase_devices_metadata finished');
  });

  it('adopting a server that already runs its OS makes it active without writing anything', async () => {
    const uuid = await manageable(1);
    const refused = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'adopt',
    });
    expect(refused.status).toBe(400);
    expect((await setImage(uuid)).status).toBe(200);
    await setProvision(system, uuid, 'adopt');
    const node = await waitForState(system, uuid, 'active');
    expect(node.last_error).toBeNull();
    expect(fleet.servers[1]!.bmc.state.media.Cd.image).toBeNull();
    expect((await readRange(hosts[1]!.disks['/dev/sda']!, MiB, MiB)).every((b) => b === 0)).toBe(
      true,
    );
  });

  it('rebuild writes the image again on an active node', async () => {
    const uuid = await manageable(2);
    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available', 60_000);
    expect((await setImage(uuid)).status).toBe(200);
    await setProvision(system, uuid, 'active');
    await waitForState(system, uuid, 'active', 60_000);
    await setProvision(system, uuid, 'rebuild');
    const node = await waitForState(system, uuid, 'active', 60_000);
    expect(node.last_error).toBeNull();
    const history = (await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[];
    expect(history.filter((h) => h.event === 'deploy step write_image finished')).toHaveLength(2);
    // Three operations in a row: the test's own limit must outlast the waits, which say more.
  }, 240_000);

  it('abort in a wait state ends the operation in its failed state, powered off, media ejected', async () => {
    const uuid = await manageable(3);
    await setProvision(system, uuid, 'provide');
    const node = await inState(uuid, 'clean wait');
    expect(node.target_provision_state).toBe('available');
    const busy = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'manage',
    });
    expect(busy.status).toBe(409);
    await setProvision(system, uuid, 'abort');
    const aborted = await inState(uuid, 'clean failed');
    expect(aborted.last_error).toMatch(/Aborted on request while 'clean wait'/);
    expect(fleet.servers[3]!.bmc.state.power).toBe('Off');
    expect(fleet.servers[3]!.bmc.state.media.Cd.inserted).toBe(false);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
  });
});
