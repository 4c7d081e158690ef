import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeServer, Installation, LightBmcHost, waitFor } from '@ingot/lab';
import { getNode, setProvision } from './support/nodes.js';
import { runIngot, startIngot } from './support/ingot-cli.js';

/**
 * The `ingot` command against a real installation: 50 lab servers (systems of one light Redfish
 * host) enrolled from a BareMetalHost-like YAML file, taken to manageable while `ingot wait`
 * shows the progress; a server whose BMC refuses the credentials makes wait fail naming it.
 */
/** The command's output kept as a test artefact (the README's example session comes from it). */
async function keep(name: string, text: string): Promise<void> {
  const dir = join(process.cwd(), 'test-output', 'ingot-cli');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), text);
}

describe('the ingot command', () => {
  const SERVERS = 50;
  let host: LightBmcHost;
  let system: Installation;
  let env: Record<string, string>;
  const names = Array.from(
    { length: SERVERS },
    (_, i) => `rack1-${String(i + 1).padStart(2, '0')}`,
  );

  beforeAll(async () => {
    // Two systems more than the fleet: the CSV's good and bad servers.
    // BMCs that take their time, as real ones do: verification is seen under way.
    host = await LightBmcHost.start({ count: SERVERS + 2, responseDelayMs: 200 });
    system = await Installation.start({ INGOT_AUTOMATED_CLEAN: 'disabled', LOG_LEVEL: 'info' });
    system.registerSecret(host.password);
    env = { INGOT_URL: system.apiUrl };
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    await host?.stop();
  });

  const bmcAddress = (index: number) =>
    `redfish+http://127.0.0.1:${host.port}${host.systemPath(index)}`;

  it('enrolls 50 servers from a hosts.yaml, with their boot MACs, boot mode and root device hints', async () => {
    const yaml = [
      'hosts:',
      ...names.flatMap((name, i) => [
        `  - name: ${name}`,
        '    bmc:',
        `      address: ${bmcAddress(i)}`,
        `      username: ${host.username}`,
        `      password: ${host.password}`,
        `    bootMACAddress: ${describeServer(i).macs[0]}`,
        '    bootMode: UEFI',
        '    rootDeviceHints: { deviceName: /dev/sda, minSizeGigabytes: 10 }',
      ]),
    ].join('\n');
    const file = join(system.workDir, 'hosts.yaml');
    await writeFile(file, yaml);
    const run = await runIngot(['enroll', file], env);
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(
      `enrolled 50 of 50 host(s) from ${file}; 0 were already enrolled, 0 failed`,
    );
    const node = await getNode(system, names[7]!);
    expect(node.provision_state).toBe('enroll');
    expect(node.driver).toBe('redfish');
    expect(node.driver_info.redfish_system_id).toBe(host.systemPath(7));
    expect(node.driver_info.redfish_password).toBe('******');
    expect(node.boot_mode).toBe('uefi');
    expect(node.properties.root_device).toEqual({ name: '/dev/sda', size: '>= 10' });
    const ports = await system.api('GET', `/v1/nodes/${names[7]}/ports?detail=true`);
    expect(ports.body.ports.map((p: { address: string }) => p.address)).toEqual([
      describeServer(7).macs[0],
    ]);
    expect(run.stdout).not.toContain(host.password);
  }, 120_000);

  it('waits for all 50 to become manageable, showing counts per state and an ETA, and exits 0', async () => {
    const file = join(system.workDir, 'hosts.yaml');
    const wait = startIngot(
      ['wait', '--state', 'manageable', '--all', '--timeout', '3m', '--interval', '200ms'],
      env,
    );
    // A rerun of the same file: every host is there already; --manage takes them all on.
    const manage = await runIngot(
      ['enroll', file, '--manage', '--concurrency', '16', '--timeout', '3m'],
      env,
    );
    expect(manage.code, manage.stdout + manage.stderr).toBe(0);
    expect(manage.stdout).toContain('enrolled 0 of 50 host(s)');
    expect(manage.stdout).toContain('50 were already enrolled, 0 failed');
    expect(manage.stdout).toMatch(/50 of 50 node\(s\) manageable after \d+/);
    const waited = await wait.done;
    expect(waited.code, waited.stdout + waited.stderr).toBe(0);
    const lines = waited.stdout.trim().split('\n');
    // Progress lines (a pipe gets one every few seconds): a bar, the count, states, the ETA.
    const progress = lines.filter((l) => /^\d\d:\d\d:\d\d \[[#-]{20}\] \d+\/50 manageable/.test(l));
    expect(progress.length, waited.stdout).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(/ \| ETA -- \(\d+s\) \| (enroll|verifying|manageable) \d+/);
    expect(progress.some((l) => /ETA (--|\d+)/.test(l))).toBe(true);
    // Nodes seen on their way (a line every 200 ms; each BMC answer takes 200 ms).
    expect(
      progress.some((l) => /\] \d+\/50 manageable \|.*verifying \d+/.test(l)),
      waited.stdout,
    ).toBe(true);
    expect(progress.at(-1)).toMatch(
      /\[#{20}\] 50\/50 manageable \| done \(\d+s\) \| manageable 50$/,
    );
    // Followed from the API's event stream (GET /v1/events), not by polling.
    expect(lines.at(-1)).toMatch(
      /^50 of 50 node\(s\) manageable after \d+s \(followed live from \/v1\/events\)$/,
    );
    for (const name of [names[0]!, names[49]!])
      expect((await getNode(system, name)).provision_state).toBe('manageable');
    // Machine-readable: every node named as arrived.
    const json = await runIngot(['wait', '--state', 'manageable', '--all', '--json'], env);
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result.arrived).toHaveLength(50);
    expect(result.failed).toEqual([]);
    await keep('wait-manageable.txt', waited.stdout);
    await keep('enroll-manage.txt', manage.stdout);
  }, 240_000);

  it('names the node that fails and exits 1; CSV hosts work too', async () => {
    const csv = [
      'name,bmc_address,bmc_username,bmc_password,boot_mac_address',
      `csv-good,${bmcAddress(SERVERS)},${host.username},${host.password},${describeServer(SERVERS).macs[0]}`,
      `csv-bad,${bmcAddress(SERVERS + 1)},${host.username},not-the-password,${describeServer(SERVERS + 1).macs[0]}`,
    ].join('\n');
    const file = join(system.workDir, 'hosts.csv');
    await writeFile(file, csv);
    const run = await runIngot(['enroll', file, '--manage', '--timeout', '2m'], env);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/✗ csv-bad failed: enroll: .+/);
    expect(run.stdout).toMatch(/1 of 2 node\(s\) manageable after/);
    expect(run.stdout).toMatch(/ {2}failed: csv-bad \(enroll: .+\)/);
    const wait = await runIngot(
      ['wait', '--state', 'manageable', '--nodes', 'csv-good,csv-bad', '--json'],
      env,
    );
    expect(wait.code).toBe(1);
    const result = JSON.parse(wait.stdout);
    expect(result.arrived).toEqual(['csv-good']);
    expect(result.failed).toEqual([
      { node: 'csv-bad', state: 'enroll', error: expect.any(String) },
    ]);
    expect(result.failed[0].error.length).toBeGreaterThan(0);
    await keep('enroll-csv-failing.txt', run.stdout);
  }, 180_000);

  it('refuses a hosts file with mistakes, naming each line and field, and enrolls nothing', async () => {
    const file = join(system.workDir, 'broken.yaml');
    await writeFile(
      file,
      [
        'hosts:',
        '  - name: broken-1',
        '    bmc:',
        '      address: idrac://127.0.0.1/',
        '      username: admin',
        '      password: secret',
        '  - name: broken-2',
        '    bmc:',
        `      address: ${bmcAddress(0)}`,
        '      username: admin',
        '    bootMACAddress: not-a-mac',
      ].join('\n'),
    );
    const run = await runIngot(['enroll', file], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}:2: bmc.address: Unsupported BMC address scheme 'idrac'`);
    expect(run.stderr).toContain(`${file}:7: bmc.password: is required`);
    expect(run.stderr).toContain(`${file}:7: bootMACAddress: "not-a-mac" is not a MAC address`);
    expect((await system.api('GET', '/v1/nodes/broken-1')).status).toBe(404);
  });

  it('reads BareMetalHost and Secret manifests as Metal3 users keep them', async () => {
    const manifest = (name: string, secret: string) =>
      [
        'apiVersion: metal3.io/v1alpha1',
        'kind: BareMetalHost',
        'metadata:',
        `  name: ${name}`,
        'spec:',
        '  bmc:',
        `    address: ${bmcAddress(3).replace('redfish+http', 'redfish-virtualmedia+http')}`,
        `    credentialsName: ${secret}`,
        '  bootMode: legacy',
      ].join('\n');
    const file = join(system.workDir, 'bmh.yaml');
    await writeFile(
      file,
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: bmh-1-bmc',
        'type: Opaque',
        'stringData:',
        `  username: ${host.username}`,
        `  password: ${host.password}`,
        '---',
        manifest('bmh-1', 'bmh-1-bmc'),
      ].join('\n'),
    );
    const run = await runIngot(['enroll', file, '--json'], env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).enrolled).toEqual([{ name: 'bmh-1', uuid: expect.any(String) }]);
    const node = await getNode(system, 'bmh-1');
    expect(node.boot_interface).toBe('redfish-virtual-media');
    expect(node.boot_mode).toBe('bios');
    expect(node.driver_info.redfish_address).toBe(`http://127.0.0.1:${host.port}`);
    expect(node.driver_info.redfish_username).toBe(host.username);

    const missing = join(system.workDir, 'bmh-no-secret.yaml');
    await writeFile(missing, manifest('bmh-2', 'nowhere'));
    const refused = await runIngot(['enroll', missing], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `${missing}:1: spec.bmc.credentialsName: Secret "nowhere" is not in this file`,
    );
  });

  it('deploys with progress while ingot watch prints each transition; logs reads the agent log', async () => {
    const fakes = ['fake-1', 'fake-2', 'fake-3'];
    for (const name of fakes) {
      const created = await system.api('POST', '/v1/nodes', { name, driver: 'fake-hardware' });
      expect(created.status, created.text).toBe(201);
      await setProvision(system, name, 'manage');
    }
    const managed = await runIngot(
      ['wait', '--state', 'manageable', '--nodes', fakes.join(',')],
      env,
    );
    expect(managed.code, managed.stdout).toBe(0);
    for (const name of fakes) await setProvision(system, name, 'provide');
    const provided = await runIngot(
      ['wait', '--state', 'available', '--nodes', fakes.join(','), '--timeout', '2m'],
      env,
    );
    expect(provided.code, provided.stdout).toBe(0);

    const watching = startIngot(['watch', '--nodes', fakes.join(',')], env);
    await waitFor('ingot watch to list the nodes', async () =>
      watching.output().includes('watching 3 node(s): available 3'),
    );
    const deployed = await runIngot(
      [
        'deploy',
        '--image',
        'http://127.0.0.1:9/never-downloaded.qcow2',
        '--checksum',
        'a'.repeat(64),
        '--nodes',
        fakes.join(','),
        '--interval',
        '200ms',
        '--timeout',
        '2m',
      ],
      env,
    );
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    expect(deployed.stdout).toMatch(/\[#{20}\] 3\/3 active \| done \(\d+s\) \| active 3\n/);
    expect(deployed.stdout).toMatch(/3 of 3 node\(s\) active after \d+s/);
    const node = await getNode(system, 'fake-2');
    expect(node.instance_info).toMatchObject({
      image_os_hash_algo: 'sha256',
      image_os_hash_value: 'a'.repeat(64),
    });
    await waitFor('ingot watch to show every node active', async () =>
      fakes.every((name) => new RegExp(`${name} \\S+ → active`).test(watching.output())),
    );
    expect(watching.output()).toMatch(/fake-1 available → deploying \(target active\)/);
    watching.interrupt();
    expect((await watching.done).code).toBe(0);

    const logs = await runIngot(['logs', 'fake-1'], env);
    expect(logs).toMatchObject({ code: 0, stdout: '' });
    const unknown = await runIngot(['logs', 'no-such-node'], env);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain(
      'GET /v1/nodes/no-such-node/agent_logs?since_id=0&limit=1000: HTTP 404',
    );
  }, 180_000);

  it('says the API cannot be reached with exit code 4', async () => {
    const run = await runIngot(['wait', '--state', 'available', '--all'], {
      INGOT_URL: 'http://127.0.0.1:9',
    });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('cannot reach the Ingot API at http://127.0.0.1:9');
  });
});
