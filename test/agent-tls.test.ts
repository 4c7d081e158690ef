// TLS where Ironic has it, between the real services and the real agent: the agent's command API
// over HTTPS with the certificate it made at start (IPA's auto TLS, pinned by the conductor), and
// images downloaded from the image cache over HTTPS, verified against the CA on the boot ISO.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Installation,
  labCertificate,
  ServerHost,
  startFleet,
  waitFor,
  type Fleet,
} from '@ingot/lab';
import { selfSignedCertificate } from '../agent/src/server/auto-tls.js';
import { NodeStore, type AgentColumns } from './support/db.js';
import { expectDeployedDisk } from './support/deployed-disk.js';
import { ImageOrigin, makeTestImage, scratchDir, type TestImage } from './support/images.js';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';

/** The certificate a TLS server presents, whoever signed it. */
function presentedAt(url: string): Promise<X509Certificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: hostname, port: Number(port), rejectUnauthorized: false },
      () => {
        const { raw } = socket.getPeerCertificate();
        socket.end();
        resolve(new X509Certificate(raw));
      },
    );
    socket.once('error', reject);
  });
}

describe('the agent over HTTPS, images over HTTPS', () => {
  let system: Installation;
  let fleet: Fleet;
  let host: ServerHost;
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let certs: string;
  let store: NodeStore;
  let uuid: string;

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({ '/images/test.qcow2': image.qcow2Path });
    // The image cache serves HTTPS with a certificate for 127.0.0.1, and boot ISOs carry that
    // certificate as the CA agents verify it with; BMCs read the ISOs on a plain listener.
    certs = await mkdtemp(join(tmpdir(), 'ingot-agent-tls-'));
    const tls = await labCertificate();
    await writeFile(join(certs, 'cache.crt'), tls.cert);
    await writeFile(join(certs, 'cache.key'), tls.key, { mode: 0o600 });
    fleet = await startFleet({ count: 1, powerDelayMs: 100 });
    system = await Installation.start({
      INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10',
      INGOT_IMAGECACHE_TLS_CERT_FILE: join(certs, 'cache.crt'),
      INGOT_IMAGECACHE_TLS_KEY_FILE: join(certs, 'cache.key'),
      INGOT_IMAGECACHE_HTTP_PORT: '0',
      INGOT_AGENT_CA_FILE: join(certs, 'cache.crt'),
      LOG_LEVEL: 'info',
    });
    // Time to put the node in maintenance before its agent comes up.
    host = await ServerHost.create(fleet.servers[0]!, {
      workDir: system.workDir,
      bootDelayMs: 2_000,
    });
    store = await NodeStore.open(system);
    uuid = await enroll(system, fleet.servers[0]!);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await store?.close();
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
    if (certs) await rm(certs, { recursive: true, force: true });
  });

  const diagnose = () => `agent output:\n${host.output().slice(-3000)}`;
  const heartbeat = (body: Record<string, unknown>) =>
    system.api('POST', `/v1/heartbeat/${uuid}`, body);
  const faultOf = (res: { body: any }) => JSON.parse(res.body.error_message).faultstring as string;

  it("cleans through the agent's HTTPS API with its certificate pinned, and refuses heartbeats that would go back to plain HTTP", async () => {
    await setProvision(system, uuid, 'provide');
    await waitFor(
      "'clean wait'",
      async () => (await getNode(system, uuid)).provision_state === 'clean wait',
      30_000,
      50,
    );
    // In maintenance, heartbeats are only recorded: the agent stays up with its URL pinned.
    const held = await system.api('PUT', `/v1/nodes/${uuid}/maintenance`, { reason: 'look' });
    expect(held.status, held.text).toBe(202);
    let pinned!: AgentColumns;
    await waitFor(
      'the agent to heartbeat with an https URL and its certificate',
      async () => {
        pinned = await store.agentColumns(uuid);
        return pinned.agent_url !== null;
      },
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${diagnose()}`);
    });
    expect(pinned.agent_url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const registered = new X509Certificate(pinned.agent_verify_ca!);
    expect(registered.checkIP('127.0.0.1')).toBe('127.0.0.1');
    // It is the certificate the agent serves with, and the agent serves nothing in clear.
    expect((await presentedAt(pinned.agent_url!)).fingerprint256).toBe(registered.fingerprint256);
    await expect(
      fetch(`${pinned.agent_url!.replace(/^https:/, 'http:')}/v1/status`),
    ).rejects.toThrow();
    expect(host.output()).toMatch(/"msg":"command API listening".*"tls":true/);

    // Heartbeats with the node's own token that would take the agent off its certificate.
    const token = (await store.agentToken(uuid))!;
    const valid = {
      callback_url: pinned.agent_url,
      agent_token: token,
      agent_version: '10.0.0',
      agent_verify_ca: pinned.agent_verify_ca,
    };
    const plainUrl = await heartbeat({
      ...valid,
      callback_url: pinned.agent_url!.replace(/^https:/, 'http:'),
      agent_verify_ca: undefined,
    });
    expect(plainUrl.status).toBe(400);
    expect(faultOf(plainUrl)).toMatch(/callback_url must stay https.*plain HTTP is refused/);
    const noCertificate = await heartbeat({ ...valid, agent_verify_ca: undefined });
    expect(noCertificate.status).toBe(400);
    expect(faultOf(noCertificate)).toMatch(/agent_verify_ca is required/);
    const another = await heartbeat({
      ...valid,
      agent_verify_ca: (await selfSignedCertificate('127.0.0.1')).cert,
    });
    expect(another.status).toBe(400);
    expect(faultOf(another)).toMatch(/Detected change in ramdisk provided "agent_verify_ca"/);
    const caOverHttp = await heartbeat({
      ...valid,
      callback_url: pinned.agent_url!.replace(/^https:/, 'http:'),
    });
    expect(caOverHttp.status).toBe(400);
    const garbage = await heartbeat({ ...valid, agent_verify_ca: 'not a certificate' });
    expect(garbage.status).toBe(400);
    expect(faultOf(garbage)).toMatch(/^Field agent_verify_ca must be one PEM certificate/);
    const after = await store.agentColumns(uuid);
    expect(after.agent_url).toBe(pinned.agent_url);
    expect(after.agent_verify_ca).toBe(pinned.agent_verify_ca);
    // The agent itself is still welcome.
    expect((await heartbeat(valid)).status).toBe(202);

    // Out of maintenance, the next heartbeat moves cleaning on: the conductor calls the agent,
    // which serves HTTPS only, and pins its certificate.
    const released = await system.api('DELETE', `/v1/nodes/${uuid}/maintenance`);
    expect(released.status, released.text).toBe(202);
    await waitForState(system, uuid, 'available', 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${diagnose()}`);
    });
    expect(host.output()).toMatch(/"msg":"command received","command":"clean\.execute_clean_step"/);
    // The ramdisk's end wipes its URL, token and certificate (Ironic's wipe_token_and_url).
    expect(await store.agentColumns(uuid)).toMatchObject({
      agent_url: null,
      agent_verify_ca: null,
      agent_token_hash: null,
    });
  }, 180_000);

  it("deploys an image the agent downloads from the image cache's HTTPS, verified against the boot ISO's CA", async () => {
    const server = fleet.servers[0]!;
    const patch = () =>
      system.api('PATCH', `/v1/nodes/${uuid}`, [
        {
          op: 'add',
          path: '/instance_info/image_source',
          value: `${origin.url}/images/test.qcow2`,
        },
        { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
        { op: 'add', path: '/instance_info/image_disk_format', value: 'qcow2' },
      ]);
    // The conductor releases its lease just after the node shows 'available': a request in that
    // moment gets 409 (NodeLocked), which clients retry, as ironicclient does.
    let patched = await patch();
    for (let tries = 0; patched.status === 409 && tries < 20; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      patched = await patch();
    }
    expect(patched.status, patched.text).toBe(200);
    const res = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, {
      target: 'active',
      configdrive: {
        meta_data: { hostname: server.name },
        user_data: `#cloud-config\nhostname: ${server.name}\n`,
      },
    });
    expect(res.status, res.text).toBe(202);
    await waitForState(system, uuid, 'active', 120_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${diagnose()}`);
    });
    const cacheUrl = `https://127.0.0.1:${system.service('imagecache').opsPort}`;
    expect(host.output()).toContain(`"msg":"downloading image","image":`);
    expect(host.output()).toContain(`"from":"${cacheUrl}"`);
    await expectDeployedDisk(host.disks['/dev/sda']!, image, server.name);
    expect((await getNode(system, uuid)).last_error).toBeNull();
    expect(await store.agentColumns(uuid)).toMatchObject({
      agent_url: null,
      agent_verify_ca: null,
    });
  }, 180_000);
});
