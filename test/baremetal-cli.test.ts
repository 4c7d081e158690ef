// Drives Ingot with the real `baremetal` CLI (python-ironicclient from Debian, installed by
// scripts/ensure-infra.sh): every command is checked by its effect, read back through the API or
// the CLI's JSON output and on the lab server's BMC and disk, not only by its exit code.
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ImageOrigin,
  Installation,
  makeTestImage,
  readRange,
  scratchDir,
  ServerHost,
  startFleet,
  waitFor,
  type Fleet,
  type LabServer,
  type TestImage,
} from '@ingot/lab';
import { runBaremetal } from './support/baremetal-cli.js';
import { getNode, waitForState } from './support/nodes.js';
import { expectDeployedDisk } from './support/deployed-disk.js';

const MiB = 1024 * 1024;
/** ironicclient 5.x negotiates 1.78 (its maximum); a fixed version keeps the test independent of the client's release. */
const API_VERSION = '1.78';
const V = { 'X-OpenStack-Ironic-API-Version': API_VERSION };
/** Not valid JSON, so the CLI (which JSON-decodes `key=value` values) keeps it a string. */
const BMC_PASSWORD = 'cli-bmc-Secret';

describe('the real baremetal CLI drives Ingot', () => {
  let system: Installation;
  let fleet: Fleet;
  let server: LabServer;
  let host: ServerHost;
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let uuid: string;
  let portUuid: string;

  /** Runs `baremetal <args>` against the installation only, without auth. */
  const run = (args: string[], timeoutMs = 120_000) =>
    runBaremetal(system.apiUrl, args, {
      apiVersion: API_VERSION,
      settings: { OS_AUTH_TYPE: 'none' },
      timeoutMs,
    });
  /** Runs a command that must succeed, and returns its output. */
  const bm = async (...args: string[]) => {
    const res = await run(args);
    if (res.code !== 0) {
      throw new Error(
        `baremetal ${args.join(' ')} exited ${res.code}\n${res.stderr}${res.stdout}\n` +
          `agent output:\n${host?.output().slice(-2000)}`,
      );
    }
    return res.stdout;
  };
  // The CLI's `-f json` output is loosely typed by nature.
  const bmJson = async (...args: string[]): Promise<any> =>
    JSON.parse(await bm(...args, '-f', 'json'));
  const apiNode = () => getNode(system, uuid);

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({ '/images/test.qcow2': image.qcow2Path });
    fleet = await startFleet({ count: 1, powerDelayMs: 50, password: BMC_PASSWORD });
    server = fleet.servers[0]!;
    system = await Installation.start({ INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10' });
    host = await ServerHost.create(server, { workDir: system.workDir });
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  it('driver list names the hardware types the conductor serves', async () => {
    const drivers = await bmJson('driver', 'list');
    const byName = new Map<string, string>(
      drivers.map((d: Record<string, string>) => [d['Supported driver(s)'], d['Active host(s)']]),
    );
    expect([...byName.keys()].sort()).toEqual(['fake-hardware', 'ipmi', 'redfish']);
    expect(byName.get('redfish')).toMatch(/\S/);
  });

  it('node create with the lab BMC as driver_info; list and show find it', async () => {
    const info = server.driverInfo as Record<string, string>;
    const created = await bmJson(
      'node',
      'create',
      '--driver',
      'redfish',
      '--name',
      'cli-node',
      '--driver-info',
      `redfish_address=${info.redfish_address}`,
      '--driver-info',
      `redfish_system_id=${info.redfish_system_id}`,
      '--driver-info',
      `redfish_username=${info.redfish_username}`,
      '--driver-info',
      `redfish_password=${info.redfish_password}`,
    );
    uuid = created.uuid;
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created).toMatchObject({
      name: 'cli-node',
      driver: 'redfish',
      provision_state: 'enroll',
    });

    const node = await apiNode();
    expect(node.driver_info).toEqual({ ...info, redfish_password: '******' });
    expect(node.provision_state).toBe('enroll');

    const [list, shown] = await Promise.all([
      bmJson('node', 'list'),
      bmJson('node', 'show', 'cli-node'),
    ]);
    expect(list).toEqual([
      expect.objectContaining({ UUID: uuid, Name: 'cli-node', 'Provisioning State': 'enroll' }),
    ]);
    expect(shown.uuid).toBe(uuid);
    expect(shown.driver_info.redfish_password).toBe('******');
    expect(shown.driver_info.redfish_address).toBe(info.redfish_address);
  });

  it('node set and node unset change name, extra, properties, description and resource class', async () => {
    await bm(
      ...['node', 'set', 'cli-node', '--name', 'cli-renamed', '--extra', 'rack=r1'],
      ...['--extra', 'slot=3', '--property', 'cpu_arch=x86_64', '--description', 'rack r1'],
      ...['--resource-class', 'baremetal-small'],
    );
    expect(await apiNode()).toMatchObject({
      name: 'cli-renamed',
      extra: { rack: 'r1', slot: 3 },
      properties: { cpu_arch: 'x86_64' },
      description: 'rack r1',
      resource_class: 'baremetal-small',
    });
    expect((await system.api('GET', '/v1/nodes/cli-node', undefined, V)).status).toBe(404);

    // `unset` of a root field sends a JSON Patch `remove`, which Ironic treats as a reset.
    await bm(
      ...['node', 'unset', 'cli-renamed', '--extra', 'slot', '--property', 'cpu_arch'],
      ...['--description', '--resource-class', '--name'],
    );
    const node = await apiNode();
    expect(node).toMatchObject({
      name: null,
      extra: { rack: 'r1' },
      properties: {},
      description: null,
      resource_class: null,
    });
    await bm('node', 'set', uuid, '--name', 'cli-node');
    expect((await apiNode()).name).toBe('cli-node');
  });

  it('node add trait / trait list / remove trait', async () => {
    await bm('node', 'add', 'trait', 'cli-node', 'CUSTOM_GPU', 'CUSTOM_RACK_R1');
    const listed = await bmJson('node', 'trait', 'list', 'cli-node');
    expect(listed.map((t: Record<string, string>) => t.Traits).sort()).toEqual([
      'CUSTOM_GPU',
      'CUSTOM_RACK_R1',
    ]);
    await bm('node', 'remove', 'trait', 'cli-node', 'CUSTOM_GPU');
    expect((await apiNode()).traits).toEqual(['CUSTOM_RACK_R1']);
    await bm('node', 'remove', 'trait', 'cli-node', '--all');
    expect((await apiNode()).traits).toEqual([]);
  });

  it('manage --wait verifies the BMC: the node is manageable and its power read from the BMC', async () => {
    const out = await bm('node', 'manage', 'cli-node', '--wait', '60');
    expect(out).toContain('Waiting for provision state manageable');
    const node = await apiNode();
    expect(node).toMatchObject({ provision_state: 'manageable', last_error: null });
    expect(node.power_state).toBe('power off');
    expect(server.bmc.state.power).toBe('Off');
  });

  it('power on / off reach the BMC', async () => {
    await bm('node', 'power', 'on', 'cli-node');
    await waitFor('power on', async () => {
      const node = await apiNode();
      return node.power_state === 'power on' && node.target_power_state === null;
    });
    expect(server.bmc.state.power).toBe('On');

    await bm('node', 'power', 'off', 'cli-node', '--power-timeout', '30');
    await waitFor('power off', async () => {
      const node = await apiNode();
      return node.power_state === 'power off' && node.target_power_state === null;
    });
    expect(server.bmc.state.power).toBe('Off');
    expect(server.bmc.state.resets.slice(-2)).toEqual(['On', 'ForceOff']);
  });

  it('boot device set changes the BMC boot override; boot device show reads it back', async () => {
    await bm('node', 'boot', 'device', 'set', 'cli-node', 'pxe');
    expect(server.bmc.state.boot).toMatchObject({ enabled: 'Once', target: 'Pxe' });

    await bm('node', 'boot', 'device', 'set', 'cli-node', 'disk', '--persistent');
    expect(server.bmc.state.boot).toMatchObject({ enabled: 'Continuous', target: 'Hdd' });
    expect(await bmJson('node', 'boot', 'device', 'show', 'cli-node')).toEqual({
      boot_device: 'disk',
      persistent: true,
    });
  });

  it('port create / list', async () => {
    const mac = server.macs[1];
    // At 1.78 a port names its node by UUID: Ironic refuses a name there too (400) until 1.94.
    const [byName, port] = await Promise.all([
      run(['port', 'create', mac, '--node', 'cli-node']),
      bmJson('port', 'create', mac, '--node', uuid, '--extra', 'nic=second'),
    ]);
    expect(byName.code).not.toBe(0);
    expect(byName.stderr).toMatch(/HTTP 400/);
    portUuid = port.uuid;
    expect(port).toMatchObject({ address: mac, node_uuid: uuid, extra: { nic: 'second' } });
    const listed = await bmJson('port', 'list', '--node', 'cli-node');
    expect(listed).toEqual([{ UUID: portUuid, Address: mac }]);
    const viaApi = await system.api('GET', `/v1/ports/${portUuid}`, undefined, V);
    expect(viaApi.body).toMatchObject({ address: mac, node_uuid: uuid });
  });

  it('inspect --wait returns once the agent has reported: properties, inventory and the PXE port', async () => {
    await bm('node', 'inspect', 'cli-node', '--wait', '90');
    // No polling here: when the CLI returns, the inspection must be over (see awaitPickup).
    const node = await apiNode();
    expect(node).toMatchObject({
      provision_state: 'manageable',
      target_provision_state: null,
      last_error: null,
    });
    expect(node.properties).toMatchObject({
      cpus: server.profile.cpus,
      memory_mb: server.profile.memory_mb,
      cpu_arch: 'x86_64',
    });
    const history = await system.api('GET', `/v1/nodes/${uuid}/history`, undefined, V);
    expect(history.body.history.map((h: { event: string }) => h.event)).toContain(
      'inspection finished',
    );
    // (The inventory endpoint is newer than 1.78: read at the API's latest.)
    const inventory = await system.api('GET', `/v1/nodes/${uuid}/inventory`);
    expect(inventory.status).toBe(200);
    // The inspector added the PXE NIC as a port, beside the one created above.
    const ports = await system.api('GET', `/v1/ports?node=${uuid}`, undefined, V);
    expect(ports.body.ports.map((p: { address: string }) => p.address).sort()).toEqual(
      [...server.macs].sort(),
    );
    expect(server.bmc.state.power).toBe('Off');

    // Not left to the race above: the API answers a verb that ends where it starts once the
    // conductor has taken it, so a read right after the 202 never shows the node still resting.
    const again = await system.api(
      'PUT',
      `/v1/nodes/${uuid}/states/provision`,
      { target: 'inspect' },
      V,
    );
    expect(again.status, again.text).toBe(202);
    const right = await apiNode();
    expect([right.provision_state, right.target_provision_state]).not.toEqual([
      'manageable',
      'manageable',
    ]);
    await waitForState(system, uuid, 'manageable', 60_000);
  });

  it('provide --wait cleans the node to available', async () => {
    await bm('node', 'provide', 'cli-node', '--wait', '90');
    expect(await apiNode()).toMatchObject({
      provision_state: 'available',
      target_provision_state: null,
      last_error: null,
    });
    const history = await system.api('GET', `/v1/nodes/${uuid}/history`, undefined, V);
    expect(history.body.history.map((h: { event: string }) => h.event)).toContain(
      'cleaning finished',
    );
  });

  it('node set --instance-info, then deploy --config-drive --wait writes the image and config drive', async () => {
    await bm(
      ...['node', 'set', 'cli-node'],
      ...['--instance-info', `image_source=${origin.url}/images/test.qcow2`],
      ...['--instance-info', `image_checksum=${image.qcow2Sha256}`],
    );
    expect((await apiNode()).instance_info).toEqual({
      image_source: `${origin.url}/images/test.qcow2`,
      image_checksum: image.qcow2Sha256,
    });

    const configDrive = JSON.stringify({
      meta_data: { hostname: 'cli-host' },
      user_data: '#cloud-config\nhostname: cli-host\n',
    });
    await bm('node', 'deploy', 'cli-node', '--config-drive', configDrive, '--wait', '120');
    const node = await apiNode();
    expect(node).toMatchObject({ provision_state: 'active', last_error: null });
    expect(node.instance_info.configdrive).toBe('******');
    expect(origin.hits.get('/images/test.qcow2')).toBe(1);
    expect(server.bmc.state.power).toBe('On');
    expect(server.bmc.state.boot.target).toBe('Hdd');

    await expectDeployedDisk(host.disks['/dev/sda']!, image, 'cli-host');
  });

  it('undeploy --wait wipes the disks and returns the node to available', async () => {
    await bm('node', 'undeploy', 'cli-node', '--wait', '90');
    const node = await apiNode();
    expect(node).toMatchObject({ provision_state: 'available', last_error: null });
    expect(node.instance_info).toEqual({});
    const disk = host.disks['/dev/sda']!;
    const size = (await stat(disk)).size;
    expect((await readRange(disk, 0, MiB)).every((b) => b === 0)).toBe(true);
    expect((await readRange(disk, size - MiB, MiB)).every((b) => b === 0)).toBe(true);
  });

  it('port delete and node delete remove them', async () => {
    await bm('port', 'delete', portUuid);
    expect((await system.api('GET', `/v1/ports/${portUuid}`, undefined, V)).status).toBe(404);
    const left = await system.api('GET', `/v1/ports?node=${uuid}`, undefined, V);
    expect(left.body.ports.map((p: { address: string }) => p.address)).toEqual([server.macs[0]]);

    await bm('node', 'delete', 'cli-node');
    expect((await system.api('GET', `/v1/nodes/${uuid}`, undefined, V)).status).toBe(404);
    const [nodesLeft, portsLeft, shown] = await Promise.all([
      bmJson('node', 'list'),
      bmJson('port', 'list'),
      run(['node', 'show', 'cli-node']),
    ]);
    expect(nodesLeft).toEqual([]);
    expect(portsLeft).toEqual([]);
    expect(shown.code).not.toBe(0);
    expect(shown.stderr).toMatch(/could not be found.*HTTP 404/);
  });
});
