// Ironic's virtual media endpoints (1.89 attach/detach, 1.93 list) and the redfish vendor method
// eject_vmedia, checked by their effect on the lab BMC's VirtualMedia slots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, startFleet, waitFor, type Fleet, type LabServer } from '@ingot/lab';
import {
  enroll,
  setProvision,
  waitForState,
  historyEventsOf,
  settledNode,
} from './support/nodes.js';

const ISO_URL = 'http://127.0.0.1:9/images/rescue.iso';

describe('virtual media of a node, as the lab BMC plays it', () => {
  let system: Installation;
  let fleet: Fleet;
  let redfish: LabServer;
  let ipmi: LabServer;

  const settled = (ident: string, what: string, accept: (node: Record<string, any>) => boolean) =>
    settledNode(system, ident, what, accept);
  const historyOf = (ident: string) => historyEventsOf(system, ident);
  const cdOf = (server: LabServer) => server.bmc.state.media.Cd;

  beforeAll(async () => {
    fleet = await startFleet({ count: 2, powerDelayMs: 50, ipmi: true });
    system = await Installation.start();
    [redfish, ipmi] = fleet.servers as [LabServer, LabServer];
    await enroll(system, redfish);
    await enroll(system, ipmi, { driver: 'ipmi', driver_info: ipmi.ipmiDriverInfo });
    for (const server of [redfish, ipmi]) await setProvision(system, server.name, 'manage');
    for (const server of [redfish, ipmi]) await waitForState(system, server.name, 'manageable');
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  it('attach inserts the image in the BMC CD slot, the list shows it, detach ejects it', async () => {
    const attached = await system.api('POST', `/v1/nodes/${redfish.name}/vmedia`, {
      device_type: 'cdrom',
      image_url: ISO_URL,
    });
    expect(attached.status, attached.text).toBe(204);
    await waitFor('the CD inserted', async () => cdOf(redfish).inserted || undefined, 30_000, 50);
    expect(cdOf(redfish).image).toBe(ISO_URL);
    await settled(redfish.name, 'attach recorded', (n) => n.last_error === null);
    expect(await historyOf(redfish.name)).toMatch(/Device cdrom attached to node/);

    const listed = await system.api('GET', `/v1/nodes/${redfish.name}/vmedia`);
    expect(listed.status, listed.text).toBe(200);
    const cd = (listed.body as { media_types: string[]; inserted: boolean; image: string }[]).find(
      (slot) => slot.media_types.includes('CD'),
    );
    expect(cd).toMatchObject({ inserted: true, image: ISO_URL });

    const detached = await system.api(
      'DELETE',
      `/v1/nodes/${redfish.name}/vmedia?device_types=cdrom`,
    );
    expect(detached.status, detached.text).toBe(204);
    await waitFor('the CD ejected', async () => !cdOf(redfish).inserted || undefined, 30_000, 50);
    await settled(redfish.name, 'detach recorded', (n) => n.last_error === null);
    expect(await historyOf(redfish.name)).toMatch(/Device\(s\) cdrom detached from node/);
  });

  it('the redfish vendor method eject_vmedia ejects what is inserted (202, as an async method)', async () => {
    const methods = await system.api('GET', `/v1/nodes/${redfish.name}/vendor_passthru/methods`);
    expect(methods.body.eject_vmedia).toMatchObject({ async: true, http_methods: ['POST'] });
    await system.api('POST', `/v1/nodes/${redfish.name}/vmedia`, {
      device_type: 'cdrom',
      image_url: ISO_URL,
    });
    await waitFor('the CD inserted', async () => cdOf(redfish).inserted || undefined, 30_000, 50);
    await settled(redfish.name, 'attach done', (n) => n.last_error === null);

    const ejected = await system.api(
      'POST',
      `/v1/nodes/${redfish.name}/vendor_passthru?method=eject_vmedia`,
      { boot_device: 'cd' },
    );
    expect(ejected.status, ejected.text).toBe(202);
    await waitFor('the CD ejected', async () => !cdOf(redfish).inserted || undefined, 30_000, 50);

    const unknown = await system.api(
      'POST',
      `/v1/nodes/${redfish.name}/vendor_passthru?method=create_subscription`,
      {},
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error_message).toMatch(/Unsupported method \(create_subscription\)/);
    const noMethod = await system.api('POST', `/v1/nodes/${redfish.name}/vendor_passthru`, {});
    expect(noMethod.status).toBe(400);
    expect(noMethod.body.error_message).toMatch(/Method not specified/);
    const badDevice = await system.api(
      'POST',
      `/v1/nodes/${redfish.name}/vendor_passthru?method=eject_vmedia`,
      { boot_device: 'tape' },
    );
    expect(badDevice.status).toBe(400);
    expect(badDevice.body.error_message).toMatch(/Boot device tape is not a valid value/);
  });

  it('bad requests get 400 naming the field; old versions, ipmi and locked nodes are refused', async () => {
    const post = (body: unknown, version = '1.89', node = redfish.name) =>
      system.api('POST', `/v1/nodes/${node}/vmedia`, body, {
        'X-OpenStack-Ironic-API-Version': version,
      });
    const floppy = await post({ device_type: 'floppy', image_url: ISO_URL });
    expect(floppy.status).toBe(400);
    expect(floppy.body.error_message).toMatch(/device_type floppy is not supported/);
    const tape = await post({ device_type: 'tape', image_url: ISO_URL });
    expect(tape.body.error_message).toMatch(/Invalid device_type tape/);
    const ftp = await post({ device_type: 'cdrom', image_url: 'ftp://127.0.0.1/x.iso' });
    expect(ftp.status).toBe(400);
    expect(ftp.body.error_message).toMatch(/image_url.*ftp/);
    const local = await post({
      device_type: 'cdrom',
      image_url: ISO_URL,
      image_download_source: 'local',
    });
    expect(local.status).toBe(400);
    expect(local.body.error_message).toMatch(/image_download_source 'local' is not supported/);
    const badDelete = await system.api(
      'DELETE',
      `/v1/nodes/${redfish.name}/vmedia?device_types=cdrom,tape`,
    );
    expect(badDelete.status).toBe(400);
    expect(badDelete.body.error_message).toMatch(/Invalid device type\(s\) tape in device_types/);

    expect((await post({ device_type: 'cdrom', image_url: ISO_URL }, '1.88')).status).toBe(404);
    const getOld = await system.api('GET', `/v1/nodes/${redfish.name}/vmedia`, undefined, {
      'X-OpenStack-Ironic-API-Version': '1.92',
    });
    expect(getOld.status).toBe(404);

    const onIpmi = await post({ device_type: 'cdrom', image_url: ISO_URL }, '1.89', ipmi.name);
    expect(onIpmi.status).toBe(400);
    expect(onIpmi.body.error_message).toMatch(/Driver ipmi does not support attach_virtual_media/);
    // Nothing reached the BMC from the refused requests.
    expect(cdOf(redfish).inserted).toBe(false);
  });

  it('a BMC that refuses the media leaves the reason in last_error', async () => {
    await redfish.bmc.setFault('busy');
    try {
      const attached = await system.api('POST', `/v1/nodes/${redfish.name}/vmedia`, {
        device_type: 'cdrom',
        image_url: ISO_URL,
      });
      expect(attached.status).toBe(204);
      const failed = await settled(redfish.name, 'last_error set', (n) => n.last_error !== null);
      expect(failed.last_error).toMatch(/Could not attach device cdrom to node/);
    } finally {
      await redfish.bmc.setFault('none');
    }
  });
});
