import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labCertificate, startFleet, waitFor, Installation, type Fleet } from '@ingot/lab';
import { isPublicRoute } from '../services/api/src/auth/policy.js';
import { agentTokenHash, NodeStore } from './support/db.js';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

/**
 * The headers python-requests puts on ironic-python-agent's calls. Before 9.9, IPA's
 * inspector.call_inspector posts `requests.post(url, data=<json string>)`: no Content-Type and no
 * API version header. Its ironic_api_client sends JSON headers and a version header on lookup
 * (≤ 1.62) and heartbeat (≤ 1.68).
 */
const REQUESTS = {
  'user-agent': 'python-requests/2.28.1',
  'accept-encoding': 'gzip, deflate',
  accept: '*/*',
};
const API_CLIENT = { ...REQUESTS, 'content-type': 'application/json', accept: 'application/json' };

/** What IPA 9.x posts to the inspection callback with the default collectors (default,logs). */
function ipaInspectionData(macs: readonly string[], logsBytes: number) {
  const disk = {
    name: '/dev/vda',
    model: 'QEMU HARDDISK',
    size: 64 * 1024 ** 3,
    rotational: true,
    wwn: null,
    serial: 'ingot-disk-0',
    vendor: '0x1af4',
    wwn_with_extension: null,
    wwn_vendor_extension: null,
    hctl: null,
    by_path: '/dev/disk/by-path/pci-0000:00:04.0',
    logical_sectors: 512,
    physical_sectors: 512,
    tran: null,
  };
  return {
    inventory: {
      interfaces: macs.map((mac, i) => ({
        name: `enp0s${3 + i}`,
        mac_address: mac,
        ipv4_address: `192.0.2.${20 + i}`,
        ipv6_address: `fe80::5054:ff:fe12:34${56 + i}%enp0s${3 + i}`,
        has_carrier: true,
        lldp: null,
        vendor: '0x1af4',
        product: '0x0001',
        client_id: null,
        biosdevname: null,
        speed_mbps: 1000,
        pci_address: `0000:00:0${3 + i}.0`,
      })),
      cpu: {
        model_name: 'QEMU Virtual CPU version 2.5+',
        frequency: '2400.000',
        count: 2,
        architecture: 'x86_64',
        flags: ['fpu', 'vme', 'de', 'pse', 'lm'],
        socket_count: 1,
      },
      disks: [disk],
      memory: { total: 2_085_392_384, physical_mb: 2048 },
      bmc_address: '0.0.0.0',
      bmc_v6address: '::/0',
      bmc_mac: null,
      system_vendor: {
        product_name: 'Standard PC (Q35 + ICH9, 2009)',
        serial_number: '',
        manufacturer: 'QEMU',
        firmware: { vendor: 'EFI Development Kit II / OVMF', version: '0.0.0', build_date: '' },
      },
      boot: { current_boot_mode: 'uefi', pxe_interface: null },
      hostname: 'localhost.localdomain',
    },
    root_disk: disk,
    boot_interface: null,
    configuration: {
      collectors: ['default', 'logs'],
      managers: [{ name: 'generic_hardware_manager', version: '1.1' }],
    },
    // collect_logs: a base64 tar.gz of the journal, bigger than Fastify's 1 MiB default limit.
    logs: 'H4sI'.padEnd(logsBytes, 'A'),
    error: null,
  };
}

/**
 * A stock ironic-python-agent against Ingot's API, with the requests IPA really sends: version
 * discovery, lookup and heartbeat as ironic_api_client does them, and the inspection data with no
 * Content-Type, posted to ironic-inspector's /v1/continue or to /v1/continue_inspection.
 */
describe('a stock ironic-python-agent speaks to Ingot', () => {
  let system: Installation;
  let fleet: Fleet;
  let store: NodeStore;
  let viaInspector: string; // inspected through /v1/continue
  let viaIronic: string; // inspected through /v1/continue_inspection at 1.1

  /** fetch as IPA calls: a string body would get fetch's own text/plain Content-Type, bytes none. */
  const raw = async (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ) => {
    const bytes = body === undefined ? undefined : new TextEncoder().encode(body);
    const res = await fetch(`${system.apiUrl}${path}`, { method, headers, body: bytes });
    const text = await res.text();
    return { status: res.status, text, headers: res.headers };
  };
  const faultOf = (text: string) =>
    JSON.parse((JSON.parse(text) as { error_message: string }).error_message).faultstring as string;
  const inspectWait = async (uuid: string) => {
    await setProvision(system, uuid, 'inspect');
    await waitFor(`${uuid} in inspect wait`, async () => {
      const n = await getNode(system, uuid);
      return n.provision_state === 'inspect wait';
    });
  };

  beforeAll(async () => {
    fleet = await startFleet({ count: 2 });
    // Both nodes boot from virtual media with a pregenerated token, which stock IPA does not send
    // with its inspection data: accepted without one, as Ironic does.
    system = await Installation.start({
      LOG_LEVEL: 'info',
      INGOT_INSPECTION_TOKEN_REQUIRED: 'false',
    });
    store = await NodeStore.open(system);
    [viaInspector, viaIronic] = await Promise.all(
      fleet.servers.map((server) => enroll(system, server)),
    );
    // Ports for the boot NICs, as Metal3 creates from bootMACAddress: a ramdisk that does not
    // know its node is found by them.
    for (const [uuid, server] of [
      [viaInspector!, fleet.servers[0]!],
      [viaIronic!, fleet.servers[1]!],
    ] as const) {
      const port = await system.api('POST', '/v1/ports', {
        node_uuid: uuid,
        address: server.macs[0],
      });
      expect(port.status, port.text).toBe(201);
    }
    await Promise.all([viaInspector, viaIronic].map((u) => setProvision(system, u!, 'manage')));
    await Promise.all([viaInspector, viaIronic].map((u) => waitForState(system, u!, 'manageable')));
  });
  afterAll(async () => {
    await store?.close();
    await system?.stop();
    await fleet?.stop();
  });

  it('version discovery: GET / with the JSON headers and no body gives default_version ≥ 1.68, so IPA heartbeats with agent_verify_ca', async () => {
    const res = await raw('GET', '/', API_CLIENT);
    expect(res.status).toBe(200);
    const version = JSON.parse(res.text).default_version.version as string;
    expect(Number(version.split('.')[1])).toBeGreaterThanOrEqual(68);
  });

  it('/v1/continue is public, as the other agent endpoints (the agent has no bearer token)', () => {
    expect(isPublicRoute('POST', '/v1/continue')).toBe(true);
    expect(isPublicRoute('POST', '/v1/continue_inspection')).toBe(true);
  });

  it('a body that is not JSON is refused with 400 saying so; other content types stay 415; nothing is queued', async () => {
    await inspectWait(viaInspector);
    for (const path of ['/v1/continue', '/v1/continue_inspection']) {
      const bad = await raw('POST', path, REQUESTS, '{"inventory": {"interfaces": [');
      expect(bad.status, path).toBe(400);
      expect(faultOf(bad.text)).toMatch(
        /^Request body sent without a Content-Type is not valid JSON: .*JSON/,
      );
      const plain = await raw('POST', path, { ...REQUESTS, 'content-type': 'text/plain' }, 'nope');
      expect(plain.status, path).toBe(400);
      expect(faultOf(plain.text)).toMatch(/sent as text\/plain is not valid JSON/);
      const form = await raw(
        'POST',
        path,
        { ...REQUESTS, 'content-type': 'application/x-www-form-urlencoded' },
        'inventory=1',
      );
      expect(form.status, path).toBe(415);
    }
    // The leniency is the inspection endpoints' only: a heartbeat or a node without a
    // Content-Type is still refused.
    const heartbeat = await raw(
      'POST',
      `/v1/heartbeat/${viaInspector}`,
      { ...REQUESTS, 'x-openstack-ironic-api-version': '1.68' },
      JSON.stringify({ callback_url: 'http://127.0.0.1:9999', agent_version: '9.1.1' }),
    );
    expect(heartbeat.status).toBe(415);
    const node = await raw(
      'POST',
      '/v1/nodes',
      { ...REQUESTS, 'x-openstack-ironic-api-version': 'latest' },
      JSON.stringify({ driver: 'fake-hardware' }),
    );
    expect(node.status).toBe(415);
    expect(await store.outboxCount(viaInspector, 'inspection.process')).toBe(0);
    expect((await getNode(system, viaInspector)).provision_state).toBe('inspect wait');
  });

  it("IPA 9.1.1's inventory posted to ironic-inspector's /v1/continue without a Content-Type: 200 {uuid}, and the node ends manageable with its properties", async () => {
    const data = ipaInspectionData(fleet.servers[0]!.macs, 2 * 1024 * 1024);
    // A token that is sent is still checked: only a missing one is let through.
    const wrong = await raw(
      'POST',
      '/v1/continue',
      REQUESTS,
      JSON.stringify({ ...data, agent_token: 'x'.repeat(43) }),
    );
    expect(wrong.status).toBe(401);
    expect(await store.outboxCount(viaInspector, 'inspection.process')).toBe(0);
    const body = JSON.stringify(data);
    expect(body.length).toBeGreaterThan(1024 * 1024);
    const res = await raw('POST', '/v1/continue', REQUESTS, body);
    expect(res.status, res.text).toBe(200);
    // inspector.inspect() returns resp.get('uuid') and passes it to the lookup.
    expect(JSON.parse(res.text)).toEqual({ uuid: viaInspector });
    expect(await store.outboxCount(viaInspector, 'inspection.process')).toBe(1);

    const inspected = await waitForState(system, viaInspector, 'manageable');
    expect(inspected.last_error).toBeNull();
    expect(inspected.properties).toMatchObject({ cpus: 2, memory_mb: 2048, cpu_arch: 'x86_64' });
    const stored = await system.api('GET', `/v1/nodes/${viaInspector}/inventory`);
    expect(stored.status).toBe(200);
    expect(stored.body.inventory.interfaces[0].mac_address).toBe(fleet.servers[0]!.macs[0]);
    expect(stored.body.plugin_data.configuration.collectors).toEqual(['default', 'logs']);
    // Like Ironic, the ramdisk logs are not kept in plugin_data.
    expect(stored.body.plugin_data).not.toHaveProperty('logs');
    // IPA then looks the node up with that uuid: it is no longer inspecting, so 404 (IPA retries).
    const lookup = await raw(
      'GET',
      `/v1/lookup?addresses=${fleet.servers[0]!.macs.join(',')}&node_uuid=${viaInspector}`,
      { ...API_CLIENT, 'x-openstack-ironic-api-version': '1.62' },
    );
    expect(lookup.status).toBe(404);
  });

  it('lookup and heartbeat exactly as ironic_api_client sends them, then /v1/continue_inspection at 1.1 without a Content-Type: 202 {uuid}', async () => {
    await inspectWait(viaIronic);
    const token = (await store.agentToken(viaIronic))!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // pregenerated, on the boot ISO
    const macs = fleet.servers[1]!.macs;

    const lookup = await raw('GET', `/v1/lookup?addresses=${macs.join('%2C')}`, {
      ...API_CLIENT,
      'x-openstack-ironic-api-version': '1.62',
    });
    expect(lookup.status, lookup.text).toBe(200);
    const found = JSON.parse(lookup.text);
    // What process_lookup_data reads.
    expect(found.node.uuid).toBe(viaIronic);
    expect(found.config).toMatchObject({
      agent_token: '******',
      agent_token_required: true,
      heartbeat_timeout: expect.any(Number),
    });

    const heartbeat = (body: Record<string, unknown>) =>
      raw(
        'POST',
        `/v1/heartbeat/${viaIronic}`,
        { ...API_CLIENT, 'x-openstack-ironic-api-version': '1.68' },
        JSON.stringify(body),
      );
    // With auto TLS (Ironic ≥ 1.68) IPA advertises https and its self-signed certificate.
    const pem = (await labCertificate()).cert;
    const noToken = await heartbeat({
      callback_url: 'https://127.0.0.1:9999',
      agent_token: null, // IPA sends null when it has none
      agent_version: '9.1.1',
      agent_verify_ca: pem,
    });
    expect(noToken.status).toBe(401);
    expect(faultOf(noToken.text)).toBe('Invalid or missing agent token received.');
    const beat = await heartbeat({
      callback_url: 'https://127.0.0.1:9999',
      agent_token: token,
      agent_version: '9.1.1',
      agent_verify_ca: pem,
    });
    expect(beat.status, beat.text).toBe(202);
    expect(await store.agentColumns(viaIronic)).toMatchObject({
      agent_url: 'https://127.0.0.1:9999',
      agent_verify_ca: pem,
      agent_version: '9.1.1',
      agent_token_hash: agentTokenHash(token),
    });
    const badStatus = await heartbeat({
      callback_url: 'https://127.0.0.1:9999',
      agent_token: token,
      agent_version: '9.1.1',
      agent_status: 'running',
    });
    expect(badStatus.status).toBe(400);

    const res = await raw(
      'POST',
      `/v1/continue_inspection?node_uuid=${viaIronic}`,
      REQUESTS,
      JSON.stringify(ipaInspectionData(macs, 1024)),
    );
    expect(res.status, res.text).toBe(202);
    // Ironic at 1.1: inspector's answer, and no token (the agent takes it at lookup).
    expect(JSON.parse(res.text)).toEqual({ uuid: viaIronic });
    const inspected = await waitForState(system, viaIronic, 'manageable');
    expect(inspected.properties).toMatchObject({ cpus: 2, memory_mb: 2048, cpu_arch: 'x86_64' });
  });
});
