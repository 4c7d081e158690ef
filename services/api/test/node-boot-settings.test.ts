import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodes, outbox } from '@ingot/store';
import { TestApi } from './support/test-api.js';

/**
 * What the API checks before it queues a boot mode or secure boot change (PUT
 * .../states/boot_mode and .../states/secure_boot, 1.76), and what it queues. The change itself,
 * carried out by a conductor against a lab BMC, is in test/boot-settings.test.ts.
 */
describe('PUT /v1/nodes/{node}/states/boot_mode and /states/secure_boot: checks and queueing', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(async () => {
    await api?.stop();
  });

  const bootMode = (node: string, target: unknown, version = '1.76') =>
    api.call('PUT', `/v1/nodes/${node}/states/boot_mode`, { target }, version);
  const secureBoot = (node: string, target: unknown, version = '1.76') =>
    api.call('PUT', `/v1/nodes/${node}/states/secure_boot`, { target }, version);
  const set = (uuid: string, values: Partial<typeof nodes.$inferInsert>) =>
    api.db.update(nodes).set(values).where(eq(nodes.uuid, uuid));
  /** The conductor commands queued for a node, oldest first. */
  const queued = async (uuid: string) =>
    (
      await api.db
        .select({ payload: outbox.payload })
        .from(outbox)
        .where(sql`${outbox.payload}->>'node_uuid' = ${uuid}`)
        .orderBy(outbox.seq)
    ).map((row) => row.payload as { type: string; payload: unknown });

  it('are not there below 1.76 (404), as Ironic', async () => {
    const uuid = await api.node('before-176');
    await api.addConductor();
    const mode = await bootMode(uuid, 'uefi', '1.75');
    expect(mode.status).toBe(404);
    const secure = await secureBoot(uuid, true, '1.75');
    expect(secure.status).toBe(404);
    expect(await queued(uuid)).toEqual([]);
  });

  it('an unknown node is a 404', async () => {
    expect((await bootMode('no-such-node', 'uefi')).status).toBe(404);
    expect((await secureBoot('no-such-node', true)).status).toBe(404);
  });

  it('refuses a target that is not a boot mode or a boolean with 400, in Ironic words', async () => {
    const uuid = await api.node('bad-targets');
    await api.addConductor();
    const efi = await bootMode(uuid, 'efi');
    expect(efi.status).toBe(400);
    expect(efi.fault).toBe(
      'Invalid boot mode efi requested for node. Allowed boot modes are: uefi, bios',
    );
    expect((await bootMode(uuid, null)).status).toBe(400);
    const maybe = await secureBoot(uuid, 'maybe');
    expect(maybe.status).toBe(400);
    expect(maybe.fault).toMatch(/^Invalid target: Unrecognized value "maybe", acceptable values/);
    const none = await secureBoot(uuid, null);
    expect(none.status).toBe(400);
    expect(none.fault).toMatch(/^Invalid secure_boot None requested for node/);
    expect(await queued(uuid)).toEqual([]);
  });

  it('answers 202 with the states Location, clears last_error and queues the change for the conductor', async () => {
    const uuid = await api.node('queued');
    await api.addConductor();
    await set(uuid, { lastError: 'an old failure' });
    const mode = await bootMode(uuid, 'bios');
    expect(mode.status, mode.fault).toBe(202);
    expect(mode.headers.location).toMatch(new RegExp(`/v1/nodes/${uuid}/states$`));
    expect((await api.call('GET', `/v1/nodes/${uuid}`)).body.last_error).toBeNull();
    // The strings oslo reads as booleans are booleans, as Ironic's args.boolean takes them.
    expect((await secureBoot(uuid, 'on')).status).toBe(202);
    expect((await secureBoot(uuid, false)).status).toBe(202);
    expect(await queued(uuid)).toMatchObject([
      { type: 'node.boot_mode', payload: { mode: 'bios' } },
      { type: 'node.secure_boot', payload: { enabled: true } },
      { type: 'node.secure_boot', payload: { enabled: false } },
    ]);
    const history = await api.call('GET', `/v1/nodes/${uuid}/history`);
    expect(history.body.history.map((h: { event: string }) => h.event)).toEqual(
      expect.arrayContaining(["boot mode 'bios' requested", 'secure boot on requested']),
    );
  });

  it('refuses with 409 while the node moves on its own (Ironic UNSTABLE_STATES), and allows a failed state', async () => {
    const uuid = await api.node('transitioning');
    await api.addConductor();
    await set(uuid, { provisionState: 'clean wait', targetProvisionState: 'available' });
    const mode = await bootMode(uuid, 'uefi');
    expect(mode.status).toBe(409);
    expect(mode.fault).toBe(
      'Node is in clean wait state. Since node is transitioning, the boot mode will not be set as this may interfere with ongoing changes and result in erroneous modification. Try again later.',
    );
    expect((await secureBoot(uuid, true)).status).toBe(409);
    expect(await queued(uuid)).toEqual([]);

    // A failed state keeps the target of what failed; it is at rest all the same.
    await set(uuid, { provisionState: 'deploy failed', targetProvisionState: 'active' });
    expect((await bootMode(uuid, 'uefi')).status).toBe(202);
  });

  it('refuses with 409 while a conductor holds the node or a power change is pending', async () => {
    const uuid = await api.node('busy');
    await api.addConductor();
    await set(uuid, { leaseOwner: 'conductor-x', leaseExpiresAt: new Date(Date.now() + 60_000) });
    const held = await bootMode(uuid, 'uefi');
    expect(held.status).toBe(409);
    expect(held.fault).toMatch(/is locked by host conductor-x/);
    await set(uuid, { leaseOwner: null, leaseExpiresAt: null, targetPowerState: 'power on' });
    const pending = await secureBoot(uuid, true);
    expect(pending.status).toBe(409);
    expect(pending.fault).toMatch(/a change to 'power on' is in progress/);
    await set(uuid, { targetPowerState: null, provisionState: 'manageable' });
    // A verb accepted but not started yet (target set in a stable state).
    await set(uuid, { targetProvisionState: 'available' });
    expect((await bootMode(uuid, 'uefi')).status).toBe(409);
    expect(await queued(uuid)).toEqual([]);
  });

  it('400 when the BMC cannot be reached as configured or no conductor serves the node', async () => {
    await api.addConductor();
    const created = await api.call('POST', '/v1/nodes', {
      name: 'no-address',
      driver: 'redfish',
      driver_info: {},
    });
    expect(created.status, created.fault).toBe(201);
    const missing = await bootMode(created.body.uuid, 'uefi');
    expect(missing.status).toBe(400);
    expect(missing.fault).toMatch(/redfish_address/);

    const elsewhere = await api.call('POST', '/v1/nodes', {
      name: 'other-site',
      driver: 'fake-hardware',
      conductor_group: 'nowhere',
    });
    expect(elsewhere.status, elsewhere.fault).toBe(201);
    const unserved = await secureBoot(elsewhere.body.uuid, true);
    expect(unserved.status).toBe(400);
    expect(unserved.fault).toMatch(/^No valid host was found/);
  });
});

describe('PUT /v1/nodes/{node}/management/inject_nmi: checks', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('is not there below 1.29; fake-hardware answers as Ironic fake management (400)', async () => {
    const uuid = await api.node('nmi-fake');
    expect(
      (await api.call('PUT', `/v1/nodes/${uuid}/management/inject_nmi`, {}, '1.28')).status,
    ).toBe(404);
    const fake = await api.call('PUT', `/v1/nodes/${uuid}/management/inject_nmi`, {}, '1.29');
    expect(fake.status).toBe(400);
    expect(fake.fault).toBe(
      'Driver fake-hardware does not support inject_nmi (disabled or not implemented).',
    );
  });

  it('409 while a conductor holds the node; 400 without the BMC address', async () => {
    await api.addConductor();
    const created = await api.call('POST', '/v1/nodes', {
      name: 'nmi-redfish',
      driver: 'redfish',
      driver_info: {},
    });
    const uuid = created.body.uuid as string;
    const missing = await api.call('PUT', `/v1/nodes/${uuid}/management/inject_nmi`, {});
    expect(missing.status).toBe(400);
    expect(missing.fault).toMatch(/redfish_address/);
    await api.db
      .update(nodes)
      .set({ leaseOwner: 'conductor-y', leaseExpiresAt: new Date(Date.now() + 60_000) })
      .where(eq(nodes.uuid, uuid));
    const held = await api.call('PUT', `/v1/nodes/${uuid}/management/inject_nmi`, {});
    expect(held.status).toBe(409);
    expect(held.fault).toMatch(/is locked by host conductor-y/);
  });
});
