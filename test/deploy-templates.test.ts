// Deploy steps beyond writing the image: those of the deploy templates the instance's traits name
// (Ironic's deploy templates) and those of the request (deploy_steps, API 1.69), ordered by
// priority with write_image (80), on lab servers, through the real `baremetal` CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, type Fleet } from '@ingot/lab';
import { succeedingBaremetal } from './support/baremetal-cli.js';
import { expectDeployedDisk } from './support/deployed-disk.js';
import { ImageOrigin, makeTestImage, scratchDir, type TestImage } from './support/images.js';
import { enroll, setProvision, waitForFailedState, waitForState } from './support/nodes.js';

describe('deploy templates and deploy_steps', () => {
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
    system = await Installation.start({ LOG_LEVEL: 'info' });
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

  const baremetal = succeedingBaremetal(() => system.apiUrl, '1.95');

  async function available(index: number, traits: string[]): Promise<string> {
    const uuid = await enroll(system, fleet.servers[index]!);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available', 60_000);
    const patched = await system.api('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'add', path: '/instance_info/image_source', value: `${origin.url}/image.qcow2` },
      { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
      { op: 'add', path: '/instance_info/traits', value: traits },
    ]);
    expect(patched.status, patched.text).toBe(200);
    return uuid;
  }

  const events = async (uuid: string) =>
    ((await system.api('GET', `/v1/nodes/${uuid}/history`)).body.history as any[]).map(
      (h) => h.event as string,
    );

  it('a template named by a trait runs its BIOS step before the image is written; deploy_steps on rebuild add another', async () => {
    const steps = [
      {
        interface: 'bios',
        step: 'apply_configuration',
        args: { settings: [{ name: 'ProcTurboMode', value: 'Disabled' }] },
        priority: 150,
      },
    ];
    await baremetal(
      'deploy',
      'template',
      'create',
      'CUSTOM_NO_TURBO',
      '--steps',
      JSON.stringify(steps),
    );
    // A template no instance names does nothing.
    await baremetal(
      'deploy',
      'template',
      'create',
      'CUSTOM_UNUSED',
      '--steps',
      JSON.stringify([
        { ...steps[0], args: { settings: [{ name: 'SysProfile', value: 'Custom' }] } },
      ]),
    );
    const uuid = await available(0, ['CUSTOM_NO_TURBO']);
    const bmc = fleet.servers[0]!.bmc;
    const name = fleet.servers[0]!.name;
    await baremetal(
      'node',
      'deploy',
      uuid,
      '--config-drive',
      JSON.stringify({
        meta_data: { hostname: name },
        user_data: `#cloud-config\nhostname: ${name}\n`,
      }),
    );
    const node = await waitForState(system, uuid, 'active', 90_000);
    expect(node.last_error).toBeNull();
    expect(bmc.state.bios.current).toMatchObject({
      ProcTurboMode: 'Disabled',
      SysProfile: 'PerfPerWattOptimized',
    });
    expect(bmc.state.power).toBe('On');
    expect(bmc.state.boot.target).toBe('Hdd');
    await expectDeployedDisk(hosts[0]!.disks['/dev/sda']!, image, name);
    let history = await events(uuid);
    const at = (text: string) => history.findIndex((e) => e.startsWith(text));
    expect(at('deploy step apply_configuration finished')).toBeGreaterThanOrEqual(0);
    expect(at('deploy step apply_configuration finished')).toBeLessThan(
      at('deploy step write_image started'),
    );

    // Rebuild with a step of its own (priority 70: after write_image).
    await baremetal(
      'node',
      'rebuild',
      uuid,
      '--deploy-steps',
      JSON.stringify([
        {
          interface: 'bios',
          step: 'apply_configuration',
          args: { settings: [{ name: 'BootTimeoutSeconds', value: '20' }] },
          priority: 70,
        },
      ]),
    );
    const rebuilt = await waitForState(system, uuid, 'active', 120_000);
    expect(rebuilt.last_error).toBeNull();
    // The request's step replaced the template's of the same name: turbo untouched this time.
    expect(bmc.state.bios.current).toMatchObject({
      BootTimeoutSeconds: 20,
      ProcTurboMode: 'Disabled',
    });
    history = await events(uuid);
    const last = (text: string) => history.findLastIndex((e) => e.startsWith(text));
    expect(last('deploy step write_image finished')).toBeLessThan(
      last('deploy step apply_configuration started'),
    );
  }, 300_000);

  it('a template step the node cannot run fails the deploy before anything is fetched or booted', async () => {
    await baremetal(
      'deploy',
      'template',
      'create',
      'CUSTOM_RAID_PLEASE',
      '--steps',
      JSON.stringify([{ interface: 'raid', step: 'no_such_step', args: {}, priority: 100 }]),
    );
    const uuid = await available(1, ['CUSTOM_RAID_PLEASE']);
    const resets = fleet.servers[1]!.bmc.state.resets.length;
    await setProvision(system, uuid, 'active');
    const failed = await waitForFailedState(system, uuid, 'deploy failed');
    expect(failed.last_error).toMatch(
      /raid step 'no_such_step' is not supported by the node's raid_interface 'redfish'/,
    );
    expect(fleet.servers[1]!.bmc.state.resets.length).toBe(resets);
    expect(fleet.servers[1]!.bmc.state.media.Cd.inserted).toBe(false);
  });
});
