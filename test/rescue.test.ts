// Rescue (Ironic API 1.38): an active node boots the agent ramdisk, whose agent sets the password
// of a `rescue` user from the hash the API stored and leaves the running ramdisk to that user;
// unrescue boots the instance from its disk again. Driven with the real `baremetal` CLI 5.0.1
// (`node rescue --rescue-password`, `node unrescue`) and the API.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, waitFor, type Fleet } from '@ingot/lab';
import { succeedingBaremetal } from './support/baremetal-cli.js';
import { expectDeployedDisk } from './support/deployed-disk.js';
import { ImageOrigin, makeTestImage, scratchDir, type TestImage } from './support/images.js';
import {
  enroll,
  getNode,
  setProvision,
  waitForFailedState,
  waitForState,
} from './support/nodes.js';

const API_VERSION = '1.95';

describe('rescue and unrescue of an active node', () => {
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
    fleet = await startFleet({ count: 2, powerDelayMs: 50 });
    system = await Installation.start({ LOG_LEVEL: 'debug' });
    hosts = await Promise.all(
      fleet.servers.map((s) => ServerHost.create(s, { workDir: system.workDir })),
    );
  }, 120_000);
  afterAll(async () => {
    await Promise.all((hosts ?? []).map((h) => h.stop()));
    // Fails if any service wrote a registered secret (the passwords and their hashes) to its output.
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  async function deployed(index: number): Promise<string> {
    const uuid = await enroll(system, fleet.servers[index]!);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available', 60_000);
    const patched = await system.api('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'add', path: '/instance_info/image_source', value: `${origin.url}/image.qcow2` },
      { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
    ]);
    expect(patched.status).toBe(200);
    const name = fleet.servers[index]!.name;
    const deploy = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'active',
      configdrive: {
        meta_data: { hostname: name },
        user_data: `#cloud-config\nhostname: ${name}\n`,
      },
    });
    expect(deploy.status).toBe(202);
    await waitForState(system, uuid, 'active', 60_000);
    return uuid;
  }

  const baremetal = succeedingBaremetal(() => system.apiUrl, API_VERSION);

  const rescue = (uuid: string, body: Record<string, unknown>, version = API_VERSION) =>
    system.api(
      'PUT',
      `/v1/nodes/${uuid}/states/provision`,
      { target: 'rescue', ...body },
      { 'X-OpenStack-Ironic-API-Version': version },
    );

  const events = async (uuid: string) =>
    ((await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[]).map(
      (h) => `${h.from_state ?? ''} → ${h.to_state ?? ''} ${h.event}`,
    );

  /** Every way the API shows a node, as one text: none may hold the password or its hash. */
  const everythingShown = async (uuid: string) =>
    [
      (await system.api('GET', `/v1/nodes/${uuid}`)).text,
      (await system.api('GET', `/v1/nodes/${uuid}?fields=instance_info`)).text,
      (await system.api('GET', '/v1/nodes/detail')).text,
      (await system.api('GET', `/v1/nodes/${uuid}/history`)).text,
      await baremetal('node', 'show', uuid, '-f', 'json'),
    ].join('\n');

  it('the CLI rescues a deployed server for a rescue user with the password given, and unrescues it back to its disk', async () => {
    const uuid = await deployed(0);
    const host = hosts[0]!;
    const bmc = fleet.servers[0]!.bmc;
    const password = 'rescue-s3cret-horse-battery';
    system.registerSecret(password);
    expect((await getNode(system, uuid)).rescue_interface).toBe('agent');
    const exits: (number | null)[] = [];
    host.on('agent-exited', ({ code }) => exits.push(code));

    await baremetal('node', 'rescue', uuid, '--rescue-password', password, '--wait', '120');
    const node = await getNode(system, uuid);
    expect(node).toMatchObject({
      provision_state: 'rescue',
      target_provision_state: null,
      last_error: null,
    });
    // As Ironic: the password's hash is gone from instance_info once the agent has it.
    expect(node.instance_info).not.toHaveProperty('hashed_rescue_password');
    expect(node.instance_info).not.toHaveProperty('rescue_password');

    // The agent wrote a SHA-512 crypt hash the rescue user logs in with, and left.
    const hash = (await readFile(host.rescuePasswordFile, 'utf8')).trim();
    system.registerSecret(hash);
    expect(hash).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(await host.rescueLogin(password)).toBe(true);
    expect(await host.rescueLogin('not-the-password')).toBe(false);
    // The same hash as glibc's crypt and OpenSSL compute for that password and salt.
    const salt = hash.split('$')[2]!;
    expect(
      execFileSync('openssl', ['passwd', '-6', '-salt', salt, password]).toString().trim(),
    ).toBe(hash);
    await waitFor('the agent to exit', async () => exits.at(-1) === 83 || undefined, 10_000);
    // The server stays on in its ramdisk; the boot ISO is ejected; the agent is forgotten.
    expect(bmc.state.power).toBe('On');
    expect(bmc.state.media.Cd.inserted).toBe(false);
    expect(node.power_state).toBe('power on');
    const shown = await everythingShown(uuid);
    expect(shown).not.toContain(password);
    expect(shown).not.toContain(hash);
    expect(shown).not.toContain('$6$');
    const history = await events(uuid);
    for (const wanted of [
      "active → rescuing 'rescue' requested",
      'booting the agent ramdisk from virtual media for rescue (boot 1',
      'rescuing → rescue wait waiting for the agent to set up the rescue environment',
      'rescue wait → rescuing the agent set the rescue password and stopped',
      'rescuing → rescue rescue environment ready',
    ])
      expect(
        history.some((e) => e.includes(wanted)),
        `${wanted}\n${history.join('\n')}`,
      ).toBe(true);

    await baremetal('node', 'unrescue', uuid, '--wait', '120');
    const back = await getNode(system, uuid);
    expect(back).toMatchObject({ provision_state: 'active', last_error: null });
    expect(back.power_state).toBe('power on');
    // Booted from its disk: disk as boot device, no boot ISO, powered on, the image intact; the
    // rescue ramdisk (and its password) gone with the power cycle.
    expect(bmc.state.power).toBe('On');
    expect(bmc.state.boot.target).toBe('Hdd');
    expect(bmc.state.media.Cd.inserted).toBe(false);
    expect(await host.rescueLogin(password)).toBe(false);
    await expectDeployedDisk(host.disks['/dev/sda']!, image, fleet.servers[0]!.name);
    expect(await events(uuid)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("rescue → unrescuing 'unrescue' requested"),
        expect.stringContaining('unrescuing → active rescue ended; booting from disk'),
      ]),
    );
  }, 240_000);

  it('while the agent is awaited the hash shows masked; abort fails the rescue, forgets it, and unrescue recovers the instance', async () => {
    const uuid = await deployed(1);
    const bmc = fleet.servers[1]!.bmc;
    // A ramdisk whose agent never reaches the API: the node stays in rescue wait.
    await hosts[1]!.stop();
    hosts[1] = await ServerHost.create(fleet.servers[1]!, {
      workDir: system.workDir,
      agentOverrides: { api_url: 'http://127.0.0.1:9' },
    });
    const password = 'another-rescue-secret-42';
    system.registerSecret(password);
    const res = await rescue(uuid, { rescue_password: password });
    expect(res.status, res.text).toBe(202);
    // A wait state keeps its target (rescue), so waitForState (which wants none) does not fit.
    const waiting = await waitFor(
      `node ${uuid} in rescue wait`,
      async () => {
        const node = await getNode(system, uuid);
        return node.provision_state === 'rescue wait' ? node : undefined;
      },
      60_000,
    );
    expect(waiting.target_provision_state).toBe('rescue');
    expect(waiting.instance_info.hashed_rescue_password).toBe('******');
    const shown = await everythingShown(uuid);
    expect(shown).not.toContain(password);
    expect(shown).not.toContain('$6$');

    await setProvision(system, uuid, 'abort');
    const failed = await waitForFailedState(system, uuid, 'rescue failed');
    expect(failed.last_error).toMatch(/Aborted on request while 'rescue wait'/);
    expect(failed.instance_info).not.toHaveProperty('hashed_rescue_password');
    expect(bmc.state.power).toBe('Off');
    expect(bmc.state.media.Cd.inserted).toBe(false);

    await hosts[1]!.stop();
    hosts[1] = await ServerHost.create(fleet.servers[1]!, { workDir: system.workDir });
    await setProvision(system, uuid, 'unrescue');
    const back = await waitForState(system, uuid, 'active', 60_000);
    expect(back.last_error).toBeNull();
    expect(bmc.state.power).toBe('On');
    expect(bmc.state.boot.target).toBe('Hdd');
    await expectDeployedDisk(hosts[1]!.disks['/dev/sda']!, image, fleet.servers[1]!.name);
  }, 240_000);

  it('refuses a rescue without a password, a password for another verb, an old API and a node that is not active', async () => {
    const created = await system.api('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: 'rescue-refusals',
    });
    expect(created.status, created.text).toBe(201);
    const uuid = created.body.uuid as string;
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    const notActive = await rescue(uuid, { rescue_password: 'whatever-password' });
    expect(notActive.status).toBe(400);
    expect(notActive.text).toMatch(/Cannot 'rescue' a node in state 'manageable'/);

    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available');
    await setProvision(system, uuid, 'active');
    await waitForState(system, uuid, 'active');
    for (const body of [{}, { rescue_password: '' }, { rescue_password: '   ' }]) {
      const res = await rescue(uuid, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.text).toMatch(/rescue_password/);
    }
    const other = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'rebuild',
      rescue_password: 'whatever-password',
    });
    expect(other.status).toBe(400);
    expect(other.text).toMatch(/'rescue_password' is only valid .* rescue/);
    const old = await rescue(uuid, { rescue_password: 'whatever-password' }, '1.37');
    expect(old.status).toBe(406);
    expect((await getNode(system, uuid)).provision_state).toBe('active');
  });

  it('fake-hardware: rescue and unrescue finish at once, with no agent', async () => {
    const created = await system.api('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: 'rescue-fake',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.rescue_interface).toBe('fake');
    const uuid = created.body.uuid as string;
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available');
    await setProvision(system, uuid, 'active');
    await waitForState(system, uuid, 'active');

    await baremetal('node', 'rescue', uuid, '--rescue-password', 'fake-rescue-pw', '--wait', '30');
    const rescued = await getNode(system, uuid);
    expect(rescued).toMatchObject({ provision_state: 'rescue', last_error: null });
    expect(rescued.instance_info).not.toHaveProperty('hashed_rescue_password');
    await baremetal('node', 'unrescue', uuid, '--wait', '30');
    expect(await getNode(system, uuid)).toMatchObject({
      provision_state: 'active',
      power_state: 'power on',
      last_error: null,
    });
    const history = (await events(uuid)).join('\n');
    expect(history).toMatch(/rescuing → rescue fake rescue finished/);
    expect(history).toMatch(/unrescuing → active fake unrescue finished/);
    expect(history).not.toMatch(/agent ramdisk/);
  });
});
