import { open } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMarkerOsImage,
  MARKER,
  scratchDir,
  startFleet,
  VmHost,
  waitFor,
  type Fleet,
  type MarkerOsImage,
} from '@ingot/lab';
import { readFile } from 'node:fs/promises';

/** A lab server as a QEMU VM, driven by its lab Redfish BMC. */
describe('VmHost', () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let fleet: Fleet;
  let image: MarkerOsImage;
  const hosts: VmHost[] = [];

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await buildMarkerOsImage(scratch.path);
    fleet = await startFleet({ count: 1 });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    await fleet?.stop();
    await scratch?.remove();
  });

  it('powered on from the BMC, boots its disk in UEFI; the guest powering off turns the BMC off', async () => {
    const server = fleet.servers[0]!;
    const host = await VmHost.create(server, {
      workDir: scratch.path,
      servicePorts: [],
      cpus: 1,
      memoryMb: 512,
      diskBytes: image.sizeBytes * 2,
    });
    hosts.push(host);
    // The image, as a deployment would have written it.
    const disk = await open(host.disk, 'r+');
    await disk.write(await readFile(image.raw), 0, undefined, 0);
    await disk.close();

    server.bmc.hostReboot(); // power on, no boot override: the disk
    await waitFor('QEMU to start', async () => host.running, 10_000);
    await waitFor(
      'the marker OS to power the VM off',
      async () => server.bmc.state.power === 'Off',
      180_000,
      500,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await host.diagnosis()}`);
    });
    const console = await host.consoleText();
    expect(console).toContain('power on: UEFI boot from disk');
    expect(console).toContain(`${MARKER} no-config-drive`);
    expect(host.running).toBe(false);
  }, 240_000);
});
