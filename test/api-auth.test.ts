import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, type LabServer, Installation, waitFor } from '@ingot/lab';

const faultOf = (body: any): string => JSON.parse(body.error_message).faultstring;
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(24).toString('base64url');

/** One token per persona; the file holds only their digests. */
const tokens = {
  admin: newToken(),
  member: newToken(),
  reader: newToken(),
  /** Project-scoped: member of project acme, which owns one node. */
  acmeMember: newToken(),
  /** Project-scoped: reader of project tenant, which leases that node. */
  tenantReader: newToken(),
  /** INGOT_ADMIN_TOKEN, the development admin. */
  dev: newToken(),
};
type Persona = keyof typeof tokens;
/** Every request asks for the newest microversion, as the baremetal CLI does. */
const LATEST = { 'x-openstack-ironic-api-version': 'latest' };
const bearer = (who: Persona) => ({ ...LATEST, authorization: `Bearer ${tokens[who]}` });

describe('API authentication (bearer tokens) and Ironic-style RBAC', () => {
  let system: Installation;
  let fleet: Fleet;
  let dir: string;
  let password: string;
  /** A lab server enrolled by the admin; owned by acme, leased to tenant. */
  let shared: { server: LabServer; uuid: string };
  /** A lab server enrolled by the admin with no owner. */
  let other: { server: LabServer; uuid: string };

  const as = (who: Persona, method: string, path: string, body?: unknown) =>
    system.api(method, path, body, bearer(who));
  const read = async (uuid: string) => {
    const res = await as('admin', 'GET', `/v1/nodes/${uuid}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const nodeCount = async () => (await as('admin', 'GET', '/v1/nodes')).body.nodes.length;

  beforeAll(async () => {
    password = `S3cret-${randomBytes(6).toString('hex')}`;
    dir = await mkdtemp(join(tmpdir(), 'ingot-auth-'));
    const file = join(dir, 'tokens.json');
    await writeFile(
      file,
      JSON.stringify([
        { name: 'ops-admin', token_sha256: sha256(tokens.admin), roles: ['admin'] },
        { name: 'ops-member', token_sha256: sha256(tokens.member), roles: ['member'] },
        { name: 'auditor', token_sha256: sha256(tokens.reader), roles: ['reader'] },
        {
          name: 'acme-ops',
          token_sha256: sha256(tokens.acmeMember),
          roles: ['member'],
          project_id: 'acme',
        },
        {
          name: 'tenant-viewer',
          token_sha256: sha256(tokens.tenantReader).toUpperCase(),
          roles: ['reader'],
          project_id: 'tenant',
        },
      ]),
    );
    fleet = await startFleet({ count: 2, password, powerDelayMs: 20 });
    system = await Installation.start({
      INGOT_AUTH_STRATEGY: 'bearer',
      INGOT_AUTH_TOKENS_FILE: file,
      INGOT_ADMIN_TOKEN: tokens.dev,
    });
    const enroll = async (server: LabServer, extra: Record<string, unknown> = {}) => {
      const res = await as('admin', 'POST', '/v1/nodes', {
        name: server.name,
        driver: 'redfish',
        driver_info: server.driverInfo,
        ...extra,
      });
      expect(res.status).toBe(201);
      return { server, uuid: res.body.uuid as string };
    };
    shared = await enroll(fleet.servers[0]!, { owner: 'acme', lessee: 'tenant' });
    other = await enroll(fleet.servers[1]!);
  });
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a request without a token, or with an unknown one, gets 401 in Ironic form and changes nothing', async () => {
    const before = await nodeCount();
    const attempts = [
      {},
      { authorization: `Bearer ${newToken()}` },
      { 'x-auth-token': newToken() },
      { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      // The digest itself is not a token.
      { authorization: `Bearer ${sha256(tokens.admin)}` },
    ];
    for (const attempt of attempts) {
      const headers = { ...LATEST, ...attempt };
      const list = await system.api('GET', '/v1/nodes', undefined, headers);
      expect(list.status).toBe(401);
      expect(faultOf(list.body)).toMatch(/requires authentication/);
      expect(JSON.parse(list.body.error_message).faultcode).toBe('Client');
      expect(list.headers.get('www-authenticate')).toMatch(/^Bearer/);

      const create = await system.api(
        'POST',
        '/v1/nodes',
        { driver: 'fake-hardware', name: `intruder-${randomBytes(3).toString('hex')}` },
        headers,
      );
      expect(create.status).toBe(401);
      const power = await system.api(
        'PUT',
        `/v1/nodes/${other.uuid}/states/power`,
        { target: 'power on' },
        headers,
      );
      expect(power.status).toBe(401);
      const remove = await system.api('DELETE', `/v1/nodes/${other.uuid}`, undefined, headers);
      expect(remove.status).toBe(401);
      const patch = await system.api(
        'PATCH',
        `/v1/nodes/${other.uuid}`,
        [{ op: 'add', path: '/extra/pwned', value: true }],
        headers,
      );
      expect(patch.status).toBe(401);
      // Unknown paths too: nothing is revealed before authentication.
      expect((await system.api('GET', '/v1/nowhere', undefined, headers)).status).toBe(401);
    }
    expect(await nodeCount()).toBe(before);
    const node = await read(other.uuid);
    expect(node.extra).toEqual({});
    expect(node.target_power_state).toBeNull();
    expect(other.server.bmc.state.resets).toEqual([]);
    // With a token, an unknown path is the usual 404.
    expect((await as('reader', 'GET', '/v1/nowhere')).status).toBe(404);
  });

  it('discovery, health and metrics stay public', async () => {
    for (const path of ['/', '/v1', '/healthz', '/metrics']) {
      const res = await fetch(`${system.apiUrl}${path}`);
      expect(res.status, path).toBe(200);
    }
  });

  it('agent endpoints answer by the agent token alone, not bearer auth', async () => {
    const lookup = await system.api(
      'GET',
      '/v1/lookup?addresses=52:54:00:aa:bb:cc',
      undefined,
      LATEST,
    );
    expect(lookup.status).toBe(404);
    const noAddresses = await system.api('GET', '/v1/lookup', undefined, LATEST);
    expect(noAddresses.status).toBe(400);
    const heartbeat = await system.api(
      'POST',
      `/v1/heartbeat/${other.uuid}`,
      {
        callback_url: 'http://127.0.0.1:9999',
        agent_version: '10.0.0',
        agent_token: 'not-the-token',
      },
      LATEST,
    );
    // The agent token check, not the API's: Ironic's "Invalid or missing agent token".
    expect(heartbeat.status).toBe(401);
    expect(faultOf(heartbeat.body)).toMatch(/agent token/);
    // Whole inspection data for a MAC no node has: Ironic's 404.
    const inspection = await system.api(
      'POST',
      '/v1/continue_inspection',
      {
        inventory: {
          cpu: { count: 1, architecture: 'x86_64' },
          memory: { physical_mb: 1024 },
          disks: [],
          interfaces: [{ mac_address: '52:54:00:aa:bb:cd' }],
        },
      },
      LATEST,
    );
    expect(inspection.status).toBe(404);
    // A bearer token does not stand in for an agent token.
    const withBearer = await system.api(
      'POST',
      `/v1/heartbeat/${other.uuid}`,
      { callback_url: 'http://127.0.0.1:9999', agent_version: '10.0.0' },
      bearer('admin'),
    );
    expect(withBearer.status).toBe(401);
  });

  it('a reader reads everything, and never sees a BMC password', async () => {
    const list = await as('reader', 'GET', '/v1/nodes');
    expect(list.status).toBe(200);
    expect(list.body.nodes.map((n: any) => n.uuid).sort()).toEqual(
      [shared.uuid, other.uuid].sort(),
    );
    for (const path of [
      '/v1/nodes/detail',
      `/v1/nodes/${other.uuid}`,
      `/v1/nodes/${other.server.name}`,
      `/v1/nodes/${other.uuid}/states`,
      `/v1/nodes/${other.uuid}/history`,
      '/v1/inspection_rules',
    ]) {
      const res = await as('reader', 'GET', path);
      expect(res.status, path).toBe(200);
      expect(res.text, path).not.toContain(password);
    }
    // As in Ironic, a system reader passes baremetal:node:get:driver_info: the BMC address is
    // shown, the secret is masked.
    const node = (await as('reader', 'GET', `/v1/nodes/${other.uuid}`)).body;
    expect(node.driver_info.redfish_password).toBe('******');
    expect(node.driver_info.redfish_address).toBe(other.server.driverInfo.redfish_address);
    // X-Auth-Token (what `baremetal --os-token` sends) works as well as Authorization.
    const viaHeader = await system.api('GET', `/v1/nodes/${other.uuid}`, undefined, {
      ...LATEST,
      'x-auth-token': tokens.reader,
    });
    expect(viaHeader.status).toBe(200);
  });

  it('a reader may change nothing: 403 naming the policy, and the node is as it was', async () => {
    const before = await read(other.uuid);
    const count = await nodeCount();
    const attempts: [string, string, unknown, string][] = [
      ['POST', '/v1/nodes', { driver: 'fake-hardware', name: 'reader-made' }, 'node:create'],
      [
        'PATCH',
        `/v1/nodes/${other.uuid}`,
        [{ op: 'add', path: '/extra/a', value: 1 }],
        'node:update',
      ],
      [
        'PATCH',
        `/v1/nodes/${other.uuid}`,
        [{ op: 'replace', path: '/driver_info/redfish_address', value: 'http://10.0.0.1' }],
        'node:update',
      ],
      ['DELETE', `/v1/nodes/${other.uuid}`, undefined, 'node:delete'],
      [
        'PUT',
        `/v1/nodes/${other.uuid}/states/provision`,
        { target: 'manage' },
        'node:set_provision_state',
      ],
      [
        'PUT',
        `/v1/nodes/${other.uuid}/states/power`,
        { target: 'power on' },
        'node:set_power_state',
      ],
      [
        'POST',
        '/v1/inspection_rules',
        { actions: [{ op: 'log', args: { msg: 'x' } }] },
        'inspection_rule:create',
      ],
      ['DELETE', '/v1/inspection_rules', undefined, 'inspection_rule:delete'],
    ];
    for (const [method, path, body, policy] of attempts) {
      const res = await as('reader', method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(faultOf(res.body)).toContain(`baremetal:${policy}`);
    }
    expect(await nodeCount()).toBe(count);
    const after = await read(other.uuid);
    expect(after.extra).toEqual(before.extra);
    expect(after.driver_info).toEqual(before.driver_info);
    expect(after.provision_state).toBe('enroll');
    expect(after.target_provision_state).toBeNull();
    expect(after.target_power_state).toBeNull();
    expect(other.server.bmc.state.resets).toEqual([]);
  });

  it('a member drives provision and power and edits nodes, but may not create or delete them', async () => {
    const count = await nodeCount();
    const create = await as('member', 'POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: 'member-made',
    });
    expect(create.status).toBe(403);
    expect(faultOf(create.body)).toContain('baremetal:node:create');
    const remove = await as('member', 'DELETE', `/v1/nodes/${other.uuid}`);
    expect(remove.status).toBe(403);
    const rule = await as('member', 'POST', '/v1/inspection_rules', {
      actions: [{ op: 'log', args: { msg: 'x' } }],
    });
    expect(rule.status).toBe(403);
    expect(await nodeCount()).toBe(count);

    const manage = await as('member', 'PUT', `/v1/nodes/${other.uuid}/states/provision`, {
      target: 'manage',
    });
    expect(manage.status).toBe(202);
    await waitFor(
      'the node to be manageable',
      async () => {
        const n = await read(other.uuid);
        return n.provision_state === 'manageable' && n.target_provision_state === null;
      },
      30_000,
      100,
    );
    const on = await as('member', 'PUT', `/v1/nodes/${other.uuid}/states/power`, {
      target: 'power on',
    });
    expect(on.status).toBe(202);
    await waitFor(
      'the node to be powered on',
      async () => (await read(other.uuid)).power_state === 'power on',
      30_000,
      100,
    );
    expect(other.server.bmc.state.power).toBe('On');

    // Ironic's system member may PATCH most fields, driver_info included
    // (baremetal:node:update:driver_info is SYSTEM_MEMBER_OR_OWNER_MEMBER).
    const patch = await as('member', 'PATCH', `/v1/nodes/${other.uuid}`, [
      { op: 'add', path: '/extra/rack', value: 'r1' },
      { op: 'replace', path: '/description', value: 'edited by a member' },
    ]);
    expect(patch.status).toBe(200);
    expect(patch.body.extra).toEqual({ rack: 'r1' });
    expect(patch.text).not.toContain(password);
  });

  it('an admin creates and deletes nodes and manages inspection rules; INGOT_ADMIN_TOKEN is an admin', async () => {
    for (const who of ['admin', 'dev'] as const) {
      const name = `made-by-${who}`;
      const created = await as(who, 'POST', '/v1/nodes', {
        driver: 'fake-hardware',
        name,
        driver_info: { some_password: 'hunter2-but-longer' },
      });
      expect(created.status).toBe(201);
      expect(created.text).not.toContain('hunter2');
      const removed = await as(who, 'DELETE', `/v1/nodes/${name}`);
      expect(removed.status).toBe(204);
      expect((await as(who, 'GET', `/v1/nodes/${name}`)).status).toBe(404);

      const rule = await as(who, 'POST', '/v1/inspection_rules', {
        description: `rule of ${who}`,
        actions: [{ op: 'log', args: { msg: 'seen' } }],
      });
      expect(rule.status).toBe(201);
      expect((await as('reader', 'GET', `/v1/inspection_rules/${rule.body.uuid}`)).status).toBe(
        200,
      );
      const gone = await as(who, 'DELETE', `/v1/inspection_rules/${rule.body.uuid}`);
      expect(gone.status).toBe(204);
    }
  });

  it('a project-scoped token sees and acts on its project’s nodes only; others are 404', async () => {
    // acme owns `shared`; `other` has no owner.
    const list = await as('acmeMember', 'GET', '/v1/nodes/detail');
    expect(list.status).toBe(200);
    expect(list.body.nodes.map((n: any) => n.uuid)).toEqual([shared.uuid]);
    // The owner sees driver_info (secret masked).
    expect(list.body.nodes[0].driver_info.redfish_password).toBe('******');
    expect(list.text).not.toContain(password);

    const hidden = await as('acmeMember', 'GET', `/v1/nodes/${other.uuid}`);
    expect(hidden.status).toBe(404);
    const hiddenPower = await as('acmeMember', 'PUT', `/v1/nodes/${other.uuid}/states/power`, {
      target: 'power off',
    });
    expect(hiddenPower.status).toBe(404);
    expect((await read(other.uuid)).target_power_state).toBeNull();

    // An owner member: power yes; giving the node away (owner) or deleting it, no.
    const power = await as('acmeMember', 'PUT', `/v1/nodes/${shared.uuid}/states/power`, {
      target: 'power on',
    });
    expect(power.status).toBe(202);
    await waitFor(
      'the shared node to be powered on',
      async () => (await read(shared.uuid)).power_state === 'power on',
      30_000,
      100,
    );
    const giveAway = await as('acmeMember', 'PATCH', `/v1/nodes/${shared.uuid}`, [
      { op: 'replace', path: '/owner', value: 'acme2' },
    ]);
    expect(giveAway.status).toBe(403);
    expect(faultOf(giveAway.body)).toContain('baremetal:node:update:owner');
    expect((await as('acmeMember', 'DELETE', `/v1/nodes/${shared.uuid}`)).status).toBe(403);
    expect((await as('acmeMember', 'GET', '/v1/inspection_rules')).status).toBe(403);
    const after = await read(shared.uuid);
    expect(after.owner).toBe('acme');

    // The lessee's reader sees the node, with driver_info and the like redacted as Ironic does.
    const leased = await as('tenantReader', 'GET', `/v1/nodes/${shared.uuid}`);
    expect(leased.status).toBe(200);
    expect(leased.body.driver_info).toEqual({
      content: '** Redacted - requires baremetal:node:get:driver_info permission. **',
    });
    expect(leased.body.driver_internal_info.content).toMatch(/Redacted/);
    expect(leased.text).not.toContain(password);
    expect(leased.text).not.toContain(shared.server.driverInfo.redfish_address as string);
    const leasedList = await as('tenantReader', 'GET', '/v1/nodes');
    expect(leasedList.body.nodes.map((n: any) => n.uuid)).toEqual([shared.uuid]);
    const off = await as('tenantReader', 'PUT', `/v1/nodes/${shared.uuid}/states/power`, {
      target: 'power off',
    });
    expect(off.status).toBe(403);
    expect((await read(shared.uuid)).target_power_state).toBeNull();
  });
});
