import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import {
  freePort,
  Installation,
  ServerHost,
  startFleet,
  type Fleet,
  type LabServer,
} from '@ingot/lab';
import { NodeStore } from './support/db.js';
import {
  enroll,
  getNode,
  setProvision,
  waitForFailedState,
  waitForState,
} from './support/nodes.js';
import {
  ImageOrigin,
  makeTestImage,
  readRange,
  scratchDir,
  sha256,
  type TestImage,
} from './support/images.js';

/** Every wait state's deadline: short, yet roomy for a healthy agent on a busy two-core machine. */
const WAIT_TIMEOUT_MS = 10_000;
const MiB = 1024 * 1024;

/**
 * Seven lab servers in one installation, each test driving one of them at the same time as the
 * others: a healthy node goes all the way to active while its neighbours fail in every way the
 * lifecycle issue names, and each failed node is recovered with a verb Ironic allows there.
 */
describe.concurrent('failures during the lifecycle, side by side with a healthy node', () => {
  let system: Installation;
  let fleet: Fleet;
  let store: NodeStore;
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  const hosts = new Map<number, ServerHost>();
  const uuids: string[] = [];

  // Which server plays which part; only some of them get a host that runs the real agent.
  const HEALTHY = 0;
  const WRONG_CHECKSUM = 1;
  const UNREACHABLE_IMAGE = 2;
  const SILENT_INSPECT = 3;
  const SILENT_CLEAN = 4;
  const SILENT_DEPLOY = 5;
  const MALFORMED_INVENTORY = 6;
  const WITH_AGENT = [HEALTHY, WRONG_CHECKSUM, UNREACHABLE_IMAGE, SILENT_DEPLOY];

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({
      '/images/test.qcow2': image.qcow2Path,
      '/images/other.qcow2': image.qcow2Path,
    });
    fleet = await startFleet({ count: 7, powerDelayMs: 100 });
    system = await Installation.start({
      INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '4',
      INGOT_INSPECT_WAIT_TIMEOUT_MS: String(WAIT_TIMEOUT_MS),
      INGOT_CLEAN_WAIT_TIMEOUT_MS: String(WAIT_TIMEOUT_MS),
      INGOT_DEPLOY_WAIT_TIMEOUT_MS: String(WAIT_TIMEOUT_MS),
      INGOT_SWEEP_INTERVAL_MS: '500',
      LOG_LEVEL: 'info',
    });
    store = await NodeStore.open(system);
    for (const i of WITH_AGENT)
      hosts.set(i, await ServerHost.create(fleet.servers[i]!, { workDir: system.workDir }));
    uuids.push(...(await Promise.all(fleet.servers.map((server) => enroll(system, server)))));
    await Promise.all(uuids.map((uuid) => setProvision(system, uuid, 'manage')));
    await Promise.all(uuids.map((uuid) => waitForState(system, uuid, 'manageable')));
  }, 120_000);
  afterAll(async () => {
    await Promise.all([...hosts.values()].map((h) => h.stop()));
    await store?.close();
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  const server = (i: number): LabServer => fleet.servers[i]!;
  /** What to print when a node does not get where it should. */
  const diagnose = (i: number) =>
    `\nagent output:\n${hosts.get(i)?.output().slice(-3000) ?? '(no agent host)'}` +
    `\nservice logs mentioning the node:\n${system
      .logs()
      .split('\n')
      .filter(
        (line) => line.includes(uuids[i]!) && !/"(incoming request|request completed)"/.test(line),
      )
      .slice(-30)
      .join('\n')}`;
  /** Waits until the node rests in `state`: stable with no target, or failed with its target. */
  const reach = (i: number, state: string, timeoutMs = 60_000) =>
    (state.endsWith(' failed')
      ? waitForFailedState(system, uuids[i]!, state, timeoutMs)
      : waitForState(system, uuids[i]!, state, timeoutMs)
    ).catch(async (e: Error) => {
      const node = await getNode(system, uuids[i]!);
      throw new Error(
        `${e.message} (it is '${node.provision_state}' → ${node.target_provision_state}, last_error ${node.last_error})${diagnose(i)}`,
      );
    });
  /** Waits for the node to pass through `state` (it may move on at once, e.g. a wait state). */
  const seen = async (i: number, states: string[], timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const node = await getNode(system, uuids[i]!);
      if (states.includes(node.provision_state)) return node;
      if (Date.now() > deadline)
        throw new Error(
          `node ${i} never reached ${states.join(' or ')} (it is '${node.provision_state}', last_error ${node.last_error})${diagnose(i)}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const setInstanceImage = async (i: number, source: string, checksum: string) => {
    const res = await system.api('PATCH', `/v1/nodes/${uuids[i]}`, [
      { op: 'add', path: '/instance_info/image_source', value: source },
      { op: 'add', path: '/instance_info/image_checksum', value: checksum },
      { op: 'add', path: '/instance_info/image_disk_format', value: 'qcow2' },
    ]);
    if (res.status !== 200) throw new Error(`PATCH node ${i}: ${res.status} ${res.text}`);
  };
  const history = async (i: number) =>
    (await system.api('GET', `/v1/nodes/${uuids[i]}/history`)).body.history as any[];

  /**
   * The ramdisk was torn down: the server is off with nothing in its virtual CD, and the agent
   * token of the failed operation is gone, so a late or foreign agent cannot use it.
   */
  async function expectTornDown(expect: ExpectStatic, i: number) {
    const node = await getNode(system, uuids[i]!);
    const bmc = server(i).bmc.state;
    const columns = await store.agentColumns(uuids[i]!);
    expect.soft(bmc.power, `server ${i} powered off`).toBe('Off');
    expect.soft(node.power_state, `node ${i} power_state`).toBe('power off');
    expect.soft(bmc.media.Cd.inserted, `server ${i} virtual CD ejected`).toBe(false);
    expect.soft(columns.agent_token_hash, `node ${i} agent token wiped`).toBeNull();
    expect.soft(columns.agent_token_sealed, `node ${i} sealed agent token wiped`).toBeNull();
    expect.soft(columns.agent_url, `node ${i} agent URL wiped`).toBeNull();
  }

  it('a healthy node is inspected, cleaned and deployed to active while its neighbours fail', async ({
    expect,
  }) => {
    const i = HEALTHY;
    await setProvision(system, uuids[i]!, 'inspect');
    const inspected = await reach(i, 'manageable');
    expect(inspected.last_error).toBeNull();
    expect(inspected.properties).toMatchObject({ cpus: server(i).profile.cpus });

    await setProvision(system, uuids[i]!, 'provide');
    await reach(i, 'available');

    await setInstanceImage(i, `${origin.url}/images/test.qcow2`, image.qcow2Sha256);
    await setProvision(system, uuids[i]!, 'active');
    const active = await reach(i, 'active');
    expect(active.last_error).toBeNull();
    const disk = hosts.get(i)!.disks['/dev/sda']!;
    const body = image.raw.subarray(MiB, image.raw.length - MiB);
    expect(sha256(await readRange(disk, MiB, body.length))).toBe(sha256(body));
    expect(server(i).bmc.state.power).toBe('On');
    expect(server(i).bmc.state.boot.target).toBe('Hdd');
  });

  it('a wrong image checksum: deploy failed naming the mismatch, refused by the image cache before any ramdisk boots; undeploy recovers', async ({
    expect,
  }) => {
    const i = WRONG_CHECKSUM;
    await setProvision(system, uuids[i]!, 'provide');
    await reach(i, 'available');

    let agentStarts = 0;
    hosts.get(i)!.on('agent-started', () => agentStarts++);
    const wrong = sha256(Buffer.from('these are not the bytes of the image'));
    await setInstanceImage(i, `${origin.url}/images/other.qcow2`, wrong);
    await setProvision(system, uuids[i]!, 'active');
    const failed = await reach(i, 'deploy failed');
    expect(failed.target_provision_state).toBe('active'); // kept, as in Ironic
    expect(failed.last_error).toContain(`Checksum mismatch for ${origin.url}/images/other.qcow2`);
    expect(failed.last_error).toContain(`expected sha256 ${wrong}, got ${image.qcow2Sha256}`);
    expect(origin.hits.get('/images/other.qcow2')).toBe(1);
    // Nothing was written: no ramdisk was booted for the deploy and the disk is as cleaning left it.
    expect(agentStarts).toBe(0);
    const disk = hosts.get(i)!.disks['/dev/sda']!;
    expect((await readRange(disk, 0, 4 * MiB)).every((b) => b === 0)).toBe(true);
    await expectTornDown(expect, i);
    expect((await history(i)).at(-1)).toMatchObject({
      severity: 'ERROR',
      to_state: 'deploy failed',
    });

    // Ironic's way out of 'deploy failed': undeploy, which cleans the node back to available.
    await setProvision(system, uuids[i]!, 'deleted');
    const recovered = await reach(i, 'available');
    expect(recovered.last_error).toBeNull();
    expect(recovered.instance_info).toEqual({});
  });

  it('an unreachable image URL: deploy failed saying the download was refused; a redeploy from a reachable URL recovers', async ({
    expect,
  }) => {
    const i = UNREACHABLE_IMAGE;
    await setProvision(system, uuids[i]!, 'provide');
    await reach(i, 'available');

    const closed = await freePort();
    const unreachable = `http://127.0.0.1:${closed}/images/test.qcow2`;
    await setInstanceImage(i, unreachable, image.qcow2Sha256);
    await setProvision(system, uuids[i]!, 'active');
    const failed = await reach(i, 'deploy failed');
    expect(failed.target_provision_state).toBe('active'); // kept, as in Ironic
    expect(failed.last_error).toMatch(
      new RegExp(`Could not download ${unreachable.replace(/[.]/g, '\\.')}: connection refused`),
    );
    await expectTornDown(expect, i);

    // 'active' again from 'deploy failed', once the image is where instance_info says.
    await setInstanceImage(i, `${origin.url}/images/test.qcow2`, image.qcow2Sha256);
    await setProvision(system, uuids[i]!, 'active');
    const active = await reach(i, 'active');
    expect(active.last_error).toBeNull();
    const disk = hosts.get(i)!.disks['/dev/sda']!;
    const body = image.raw.subarray(MiB, image.raw.length - MiB);
    expect(sha256(await readRange(disk, MiB, body.length))).toBe(sha256(body));
  });

  it("an agent that never reports its inventory: 'inspect wait' times out to 'inspect failed'; manage recovers", async ({
    expect,
  }) => {
    const i = SILENT_INSPECT; // no host: booting from the virtual CD starts nothing
    const started = Date.now();
    await setProvision(system, uuids[i]!, 'inspect');
    await seen(i, ['inspect wait']);
    expect(server(i).bmc.state.media.Cd.inserted).toBe(true);
    expect(server(i).bmc.state.power).toBe('On');
    const failed = await reach(i, 'inspect failed', WAIT_TIMEOUT_MS + 20_000);
    expect(failed.target_provision_state).toBe('manageable'); // kept, as in Ironic
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_TIMEOUT_MS);
    expect(failed.last_error).toMatch(/Timed out in state 'inspect wait'/);
    await expectTornDown(expect, i);

    await setProvision(system, uuids[i]!, 'manage');
    const recovered = await reach(i, 'manageable');
    expect(recovered.last_error).toBeNull();
  });

  it("an agent that never heartbeats while cleaning: 'clean wait' times out to 'clean failed'; manage recovers", async ({
    expect,
  }) => {
    const i = SILENT_CLEAN;
    const started = Date.now();
    await setProvision(system, uuids[i]!, 'provide');
    await seen(i, ['clean wait']);
    expect(server(i).bmc.state.media.Cd.inserted).toBe(true);
    const failed = await reach(i, 'clean failed', WAIT_TIMEOUT_MS + 20_000);
    expect(failed.target_provision_state).toBe('available'); // kept, as in Ironic
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_TIMEOUT_MS);
    expect(failed.last_error).toMatch(/Timed out in state 'clean wait'/);
    await expectTornDown(expect, i);

    await setProvision(system, uuids[i]!, 'manage');
    const recovered = await reach(i, 'manageable');
    expect(recovered.last_error).toBeNull();
  });

  it("an agent that never heartbeats while deploying: 'wait call-back' times out to 'deploy failed'; undeploy with a working ramdisk recovers", async ({
    expect,
  }) => {
    const i = SILENT_DEPLOY;
    await setProvision(system, uuids[i]!, 'provide');
    await reach(i, 'available');
    // From now on the server's ramdisk never comes up.
    await hosts.get(i)!.stop();
    hosts.delete(i);

    await setInstanceImage(i, `${origin.url}/images/test.qcow2`, image.qcow2Sha256);
    const started = Date.now();
    await setProvision(system, uuids[i]!, 'active');
    await seen(i, ['wait call-back']);
    expect(server(i).bmc.state.media.Cd.inserted).toBe(true);
    const failed = await reach(i, 'deploy failed', WAIT_TIMEOUT_MS + 30_000);
    expect(failed.target_provision_state).toBe('active'); // kept, as in Ironic
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_TIMEOUT_MS);
    expect(failed.last_error).toMatch(/Timed out in state 'wait call-back'/);
    await expectTornDown(expect, i);

    // The ramdisk works again: undeploy cleans through it back to available.
    hosts.set(i, await ServerHost.create(server(i), { workDir: system.workDir }));
    await setProvision(system, uuids[i]!, 'deleted');
    const recovered = await reach(i, 'available');
    expect(recovered.last_error).toBeNull();
  });

  it('a malformed inventory: 400 naming the fields and the node keeps waiting; the same ramdisk then sends data that holds up and the node is inspected', async ({
    expect,
  }) => {
    const i = MALFORMED_INVENTORY; // no host: the test plays the agent
    await setProvision(system, uuids[i]!, 'inspect');
    await seen(i, ['inspect wait']);
    const token = (await store.agentToken(uuids[i]!))!; // the one on the node's boot ISO
    const inventory = {
      interfaces: [{ name: 'eth0', mac_address: server(i).macs[0] }],
      cpu: { count: 0, architecture: 'x86_64' },
      disks: [],
    };
    const res = await system.api('POST', `/v1/continue_inspection?node_uuid=${uuids[i]}`, {
      inventory,
      agent_token: token,
    });
    // Refused before anything is queued: the node is not failed for what its ramdisk sent.
    expect(res.status, res.text).toBe(400);
    const fault = JSON.parse(res.body.error_message).faultstring as string;
    expect(fault).toMatch(/^Inventory from the agent is malformed: /);
    expect(fault).toMatch(/inventory\.cpu\.count/);
    expect(fault).toMatch(/inventory\.memory/);
    // Long enough for anything queued to have reached the inspector and the conductor.
    await new Promise((r) => setTimeout(r, 1_500));
    const waiting = await getNode(system, uuids[i]!);
    expect(waiting.provision_state).toBe('inspect wait');
    expect(waiting.last_error).toBeNull();
    expect(waiting.properties).not.toHaveProperty('cpus');
    expect(await store.outboxCount(uuids[i]!, 'inspection.process')).toBe(0);
    expect((await system.api('GET', `/v1/nodes/${uuids[i]}/inventory`)).status).toBe(404);

    const retried = await system.api('POST', `/v1/continue_inspection?node_uuid=${uuids[i]}`, {
      inventory: {
        ...inventory,
        cpu: { count: 2, architecture: 'x86_64' },
        memory: { physical_mb: 2048 },
      },
      agent_token: token,
    });
    expect(retried.status, retried.text).toBe(202);
    expect(retried.body.config.agent_token).toBe('******');
    const inspected = await reach(i, 'manageable', 20_000);
    expect(inspected.last_error).toBeNull();
    expect(inspected.properties).toMatchObject({ cpus: 2, memory_mb: 2048, cpu_arch: 'x86_64' });
    await expectTornDown(expect, i);
  });
});
