import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation } from '@ingot/lab';

const faultOf = (body: any): string => JSON.parse(body.error_message).faultstring;
const at = (version: string) => ({ 'X-OpenStack-Ironic-API-Version': version });

describe("a node's automated_clean (Ironic API 1.47) through the REST API", () => {
  let system: Installation;

  beforeAll(async () => {
    system = await Installation.start();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const create = (body: Record<string, unknown>, version = 'latest') =>
    system.api('POST', '/v1/nodes', { driver: 'fake-hardware', ...body }, at(version));
  const patch = (uuid: string, ops: unknown[], version = 'latest') =>
    system.api('PATCH', `/v1/nodes/${uuid}`, ops, at(version));

  it('is null on a node that does not set it, and shown from 1.47 on', async () => {
    const created = await create({ name: 'clean-default' });
    expect(created.status, created.text).toBe(201);
    expect(created.body.automated_clean).toBeNull();
    const old = await system.api('GET', '/v1/nodes/clean-default', undefined, at('1.46'));
    expect(old.body).not.toHaveProperty('automated_clean');
    const now = await system.api('GET', '/v1/nodes/clean-default', undefined, at('1.47'));
    expect(now.body.automated_clean).toBeNull();
  });

  it('is set on create, changed and removed by PATCH, and read back by GET and ?fields', async () => {
    const created = await create({ name: 'clean-off', automated_clean: false });
    expect(created.status, created.text).toBe(201);
    expect(created.body.automated_clean).toBe(false);
    const uuid = created.body.uuid as string;

    const on = await patch(uuid, [{ op: 'replace', path: '/automated_clean', value: true }]);
    expect(on.status, on.text).toBe(200);
    expect(on.body.automated_clean).toBe(true);
    // Strings oslo reads as booleans are booleans, as in Ironic.
    const off = await patch(uuid, [{ op: 'replace', path: '/automated_clean', value: 'off' }]);
    expect(off.body.automated_clean).toBe(false);
    const shown = await system.api('GET', `/v1/nodes/${uuid}?fields=uuid,automated_clean`);
    expect(shown.body).toMatchObject({ uuid, automated_clean: false });

    // `baremetal node unset --automated-clean`: back to the conductor's setting.
    const removed = await patch(uuid, [{ op: 'remove', path: '/automated_clean' }]);
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body.automated_clean).toBeNull();
    const stringTrue = await create({ name: 'clean-yes', automated_clean: 'True' });
    expect(stringTrue.body.automated_clean).toBe(true);
  });

  it('before 1.47 it cannot be set (406) and is not shown, as Ironic answers', async () => {
    const created = await create({ name: 'clean-too-old', automated_clean: true }, '1.46');
    expect(created.status).toBe(406);
    expect(faultOf(created.body)).toMatch(/'automated_clean' needs API version 1\.47/);

    const node = await create({ name: 'clean-patched-too-old' });
    const patched = await patch(
      node.body.uuid,
      [{ op: 'add', path: '/automated_clean', value: false }],
      '1.46',
    );
    expect(patched.status).toBe(406);
    expect(faultOf(patched.body)).toMatch(/'automated_clean' needs API version 1\.47/);
    const fields = await system.api(
      'GET',
      `/v1/nodes/${node.body.uuid}?fields=automated_clean`,
      undefined,
      at('1.46'),
    );
    expect(fields.status).toBe(406);
  });

  it.each([
    ['a word that is not a boolean', 'sometimes'],
    ['a number', 5],
    ['an object', { when: 'always' }],
  ])('refuses %s with 400 naming the field, on create and on PATCH', async (_what, value) => {
    const created = await create({ name: `clean-bad-${typeof value}`, automated_clean: value });
    expect(created.status, created.text).toBe(400);
    expect(faultOf(created.body)).toMatch(/'automated_clean'/);

    const node = await create({ name: `clean-bad-patch-${typeof value}` });
    const patched = await patch(node.body.uuid, [{ op: 'add', path: '/automated_clean', value }]);
    expect(patched.status, patched.text).toBe(400);
    expect(faultOf(patched.body)).toMatch(/'automated_clean'/);
    expect((await system.api('GET', `/v1/nodes/${node.body.uuid}`)).body.automated_clean).toBe(
      null,
    );
  });

  it('secure_boot is read-only: null until a deploy asks the BMC, and not patchable', async () => {
    const node = await create({ name: 'secure-boot-ro' });
    expect(node.body.secure_boot).toBeNull();
    const states = await system.api('GET', `/v1/nodes/${node.body.uuid}/states`);
    expect(states.body.secure_boot).toBeNull();
    const patched = await patch(node.body.uuid, [{ op: 'add', path: '/secure_boot', value: true }]);
    expect(patched.status).toBe(400);
    expect(faultOf(patched.body)).toMatch(/'\/secure_boot' is a read-only field/);
  });
});
