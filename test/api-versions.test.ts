import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation } from '@ingot/lab';

const faultOf = (body: any): string => JSON.parse(body.error_message).faultstring;
const MAX = '1.96';

describe('API versions and microversions, as Ironic negotiates them', () => {
  let system: Installation;
  /** A request with exactly these headers (no default version header). */
  const raw = async (
    path: string,
    headers: Record<string, string> = {},
    init: RequestInit = {},
  ) => {
    const res = await fetch(`${system.apiUrl}${path}`, { ...init, headers });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const at = (version: string, path: string) =>
    raw(path, { 'X-OpenStack-Ironic-API-Version': version });

  beforeAll(async () => {
    system = await Installation.start();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('GET / lists the v1 API with its microversion range and links, and says which is the default', async () => {
    const res = await raw('/');
    expect(res.status).toBe(200);
    const expected = {
      id: 'v1',
      status: 'CURRENT',
      version: MAX,
      min_version: '1.1',
      links: [{ href: `${system.apiUrl}/v1/`, rel: 'self' }],
    };
    expect(res.body.versions).toEqual([expected]);
    expect(res.body.default_version).toEqual(expected);
    expect(res.headers.get('x-openstack-ironic-api-minimum-version')).toBe('1.1');
    expect(res.headers.get('x-openstack-ironic-api-maximum-version')).toBe(MAX);
  });

  it('GET /v1 without a version header is served at 1.1, with the resources 1.1 knows', async () => {
    const res = await raw('/v1');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-openstack-ironic-api-version')).toBe('1.1');
    expect(res.headers.get('x-openstack-ironic-api-minimum-version')).toBe('1.1');
    expect(res.headers.get('x-openstack-ironic-api-maximum-version')).toBe(MAX);
    expect(res.body.id).toBe('v1');
    expect(res.body.version.version).toBe(MAX);
    expect(res.body.nodes[0]).toEqual({ href: `${system.apiUrl}/v1/nodes/`, rel: 'self' });
    expect(res.body.media_types).toEqual({
      base: 'application/json',
      type: 'application/vnd.openstack.ironic.v1+json',
    });
    // Port groups (1.23), lookup (1.22) and conductors (1.49) do not exist yet at 1.1.
    expect(res.body.portgroups).toBeUndefined();
    expect(res.body.lookup).toBeUndefined();
    expect(res.body.conductors).toBeUndefined();

    const latest = await at('latest', '/v1/');
    expect(latest.headers.get('x-openstack-ironic-api-version')).toBe(MAX);
    expect(latest.body.portgroups[0].href).toBe(`${system.apiUrl}/v1/portgroups/`);
    expect(latest.body.conductors[0].href).toBe(`${system.apiUrl}/v1/conductors/`);
  });

  it('the version asked for is the version used and echoed; `latest` is the maximum; the standard header works too', async () => {
    for (const [asked, used] of [
      ['1.78', '1.78'],
      ['latest', MAX],
      ['LATEST', MAX],
      ['1.1', '1.1'],
    ]) {
      const res = await at(asked!, '/v1/nodes');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-openstack-ironic-api-version')).toBe(used);
      expect(res.headers.get('openstack-api-version')).toBe(`baremetal ${used}`);
    }
    const standard = await raw('/v1/nodes', { 'OpenStack-API-Version': 'baremetal 1.50' });
    expect(standard.headers.get('x-openstack-ironic-api-version')).toBe('1.50');
    // The standard header wins over the legacy one, as in Ironic since 2024.2.
    const both = await raw('/v1/nodes', {
      'OpenStack-API-Version': 'compute 2.90, baremetal 1.65',
      'X-OpenStack-Ironic-API-Version': '1.31',
    });
    expect(both.headers.get('x-openstack-ironic-api-version')).toBe('1.65');
  });

  it.each([
    [
      '1.97',
      /Version 1\.97 was requested but the minor version is not supported by this service\. The supported version range is: \[1\.1, 1\.96\]/,
    ],
    ['1.0', /Version 1\.0 was requested but the minor version is not supported/],
    [
      '2.1',
      /Mutually exclusive versions requested\. Version 2\.1 requested but not supported by this service\. The supported version range is: \[1\.1, 1\.96\]/,
    ],
    ['one.two', /Invalid value for X-OpenStack-Ironic-API-Version header/],
    ['1.78.1', /Invalid value for X-OpenStack-Ironic-API-Version header/],
  ])(
    "version %s is refused with 406, Ironic's error body and the supported range in the headers",
    async (version, message) => {
      const res = await at(version, '/v1/nodes');
      expect(res.status).toBe(406);
      expect(faultOf(res.body)).toMatch(message);
      expect(JSON.parse(res.body.error_message).faultcode).toBe('Client');
      expect(res.headers.get('x-openstack-ironic-api-minimum-version')).toBe('1.1');
      expect(res.headers.get('x-openstack-ironic-api-maximum-version')).toBe(MAX);
      expect(res.headers.get('x-openstack-ironic-api-version')).toBeNull();
    },
  );

  it('a refused version changes nothing: the node it tried to create does not exist', async () => {
    const res = await raw(
      '/v1/nodes',
      { 'content-type': 'application/json', 'X-OpenStack-Ironic-API-Version': '1.99' },
      { method: 'POST', body: JSON.stringify({ driver: 'fake-hardware', name: 'too-new' }) },
    );
    expect(res.status).toBe(406);
    expect((await at(MAX, '/v1/nodes/too-new')).status).toBe(404);
  });

  describe('node fields follow the version (Ironic VERSIONED_FIELDS)', () => {
    let uuid: string;
    beforeAll(async () => {
      const created = await system.api('POST', '/v1/nodes', {
        driver: 'fake-hardware',
        name: 'versioned',
        conductor_group: 'site-a',
        resource_class: 'baremetal',
        owner: 'project-a',
        lessee: 'project-b',
        description: 'a node with every field set',
        shard: 'shard-1',
      });
      expect(created.status).toBe(201);
      uuid = created.body.uuid;
    });

    it.each([
      ['1.1', [], ['name', 'driver_internal_info', 'resource_class', 'conductor_group', 'owner']],
      ['1.5', ['name', 'driver_internal_info'], ['resource_class', 'boot_interface', 'traits']],
      [
        '1.31',
        ['resource_class', 'boot_interface', 'deploy_interface'],
        ['traits', 'bios_interface'],
      ],
      ['1.46', ['traits', 'conductor_group', 'bios_interface'], ['owner', 'conductor']],
      ['1.50', ['conductor', 'owner'], ['description', 'lessee']],
      ['1.65', ['description', 'lessee', 'retired'], ['boot_mode', 'shard']],
      ['1.82', ['boot_mode', 'secure_boot', 'shard'], ['parent_node', 'firmware_interface']],
      ['1.96', ['parent_node', 'firmware_interface', 'service_step', 'disable_power_off'], []],
    ])('at %s a node shows %j and hides %j', async (version, shown, hidden) => {
      const res = await at(version, `/v1/nodes/${uuid}`);
      expect(res.status).toBe(200);
      for (const field of [...shown, 'uuid', 'driver', 'provision_state', 'links']) {
        expect(res.body, `${field} at ${version}`).toHaveProperty(field);
      }
      for (const field of hidden)
        expect(res.body, `${field} at ${version}`).not.toHaveProperty(field);
    });

    it("the values are the node's, at the newest version", async () => {
      const res = await at(MAX, `/v1/nodes/${uuid}`);
      expect(res.body).toMatchObject({
        name: 'versioned',
        conductor_group: 'site-a',
        resource_class: 'baremetal',
        owner: 'project-a',
        lessee: 'project-b',
        description: 'a node with every field set',
        shard: 'shard-1',
        power_interface: 'fake',
        deploy_interface: 'fake',
        console_interface: 'no-console',
        traits: [],
        retired: false,
        protected: false,
        disable_power_off: false,
        parent_node: null,
      });
    });

    it('names exist from 1.5: before it a node is found by UUID only', async () => {
      expect((await at('1.4', '/v1/nodes/versioned')).status).toBe(404);
      expect((await at('1.4', `/v1/nodes/${uuid}`)).status).toBe(200);
      expect((await at('1.5', '/v1/nodes/versioned')).body.uuid).toBe(uuid);
    });

    it('`fields` needs 1.8, and a field newer than the version is 406, an unknown one 400', async () => {
      expect((await at('1.7', `/v1/nodes/${uuid}?fields=uuid`)).status).toBe(406);
      expect((await at('1.49', `/v1/nodes/${uuid}?fields=uuid,owner`)).status).toBe(406);
      const unknown = await at(MAX, `/v1/nodes/${uuid}?fields=uuid,colour`);
      expect(unknown.status).toBe(400);
      expect(faultOf(unknown.body)).toMatch(/Field\(s\) "colour" are not valid/);
      const some = await at('1.50', `/v1/nodes/${uuid}?fields=uuid,owner`);
      expect(Object.keys(some.body).sort()).toEqual(['links', 'owner', 'uuid']);
    });

    it('creating or patching with a field newer than the version is refused with 406 and changes nothing', async () => {
      const create = await raw(
        '/v1/nodes',
        { 'content-type': 'application/json', 'X-OpenStack-Ironic-API-Version': '1.49' },
        {
          method: 'POST',
          body: JSON.stringify({ driver: 'fake-hardware', name: 'owned', owner: 'p' }),
        },
      );
      expect(create.status).toBe(406);
      expect((await at(MAX, '/v1/nodes/owned')).status).toBe(404);

      const patch = await raw(
        `/v1/nodes/${uuid}`,
        { 'content-type': 'application/json', 'X-OpenStack-Ironic-API-Version': '1.64' },
        { method: 'PATCH', body: JSON.stringify([{ op: 'replace', path: '/lessee', value: 'x' }]) },
      );
      expect(patch.status).toBe(406);
      expect((await at(MAX, `/v1/nodes/${uuid}`)).body.lessee).toBe('project-b');
    });

    it('provision states keep their old names in old versions: available was None before 1.2', async () => {
      const client = new pg.Client({ connectionString: system.databaseUrl });
      await client.connect();
      await client.query(`UPDATE nodes SET provision_state = 'available' WHERE uuid = $1`, [uuid]);
      await client.end();
      expect((await at('1.1', `/v1/nodes/${uuid}`)).body.provision_state).toBeNull();
      expect((await at('1.2', `/v1/nodes/${uuid}`)).body.provision_state).toBe('available');
      expect((await at('1.1', `/v1/nodes/${uuid}/states`)).body.provision_state).toBeNull();
    });

    it('verbs exist from the version that introduced them: manage needs 1.4, deploy 1.73', async () => {
      const put = (version: string, target: string) =>
        raw(
          `/v1/nodes/${uuid}/states/provision`,
          { 'content-type': 'application/json', 'X-OpenStack-Ironic-API-Version': version },
          { method: 'PUT', body: JSON.stringify({ target }) },
        );
      expect((await put('1.3', 'manage')).status).toBe(406);
      expect((await put('1.72', 'deploy')).status).toBe(406);
    });
  });

  it('endpoints exist from their version: 404 before it', async () => {
    expect((await at('1.48', '/v1/conductors')).status).toBe(404);
    expect((await at('1.49', '/v1/conductors')).status).toBe(200);
    expect((await at('1.22', '/v1/portgroups')).status).toBe(404);
    expect((await at('1.23', '/v1/portgroups')).status).toBe(200);
    expect((await at('1.95', '/v1/inspection_rules')).status).toBe(404);
    expect((await at('1.96', '/v1/inspection_rules')).status).toBe(200);
    const node = await system.api('POST', '/v1/nodes', { driver: 'fake-hardware' });
    expect((await at('1.77', `/v1/nodes/${node.body.uuid}/history`)).status).toBe(404);
    expect((await at('1.78', `/v1/nodes/${node.body.uuid}/history`)).status).toBe(200);
  });

  it("errors carry the range too, in Ironic's error body", async () => {
    const res = await at('1.78', '/v1/nodes/no-such-node');
    expect(res.status).toBe(404);
    expect(faultOf(res.body)).toMatch(/Node no-such-node could not be found/);
    expect(res.headers.get('x-openstack-ironic-api-version')).toBe('1.78');
    expect(res.headers.get('x-openstack-ironic-api-maximum-version')).toBe(MAX);
  });
});
