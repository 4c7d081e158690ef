// TLS on both sides of the agent: its command API over HTTPS with a certificate made at start
// (IPA's auto TLS), and the HTTPS servers it calls verified against ca_file (IPA's cafile).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../src/index.js';
import { silentSink, startAgent } from '../src/index.js';
import { BufferSink, downloadTo } from '../src/image/download.js';
import { outboundDispatcher } from '../src/outbound-tls.js';
import { selfSignedCertificate, type AgentTls } from '../src/server/auto-tls.js';
import { FAKE_TOKEN, FakeIronic } from './helpers/fake-ironic.js';
import { FileServer } from './helpers/file-server.js';
import { makeLabMachine, type LabMachine } from './helpers/lab.js';

const DAY_MS = 24 * 3600 * 1000;

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

let dir: string;
/** What a server of the installation presents (an API or an image cache with a certificate). */
let serverTls: AgentTls;
let caFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ingot-agent-tls-'));
  serverTls = await selfSignedCertificate('127.0.0.1');
  caFile = join(dir, 'ca.crt');
  await writeFile(caFile, serverTls.cert);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function setUp(opts: ConstructorParameters<typeof FakeIronic>[0] = {}) {
  const ironic = await new FakeIronic(opts).start();
  cleanups.push(() => ironic.stop());
  const lab = await makeLabMachine(ironic.url);
  cleanups.push(() => lab.cleanup());
  return { ironic, lab };
}

async function run(lab: LabMachine, overrides: Record<string, unknown>): Promise<RunningAgent> {
  const agent = await startAgent(lab.config(overrides), { logSink: silentSink });
  cleanups.push(() => agent.stop());
  return agent;
}

/** A client that trusts exactly `ca`, as the conductor trusts the agent's agent_verify_ca. */
function trusting(ca: string): Agent {
  const dispatcher = new Agent({ connect: { ca } });
  cleanups.push(() => dispatcher.close());
  return dispatcher;
}

/** The certificate a TLS server presents, whoever signed it. */
function presented(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const { raw } = socket.getPeerCertificate();
      socket.end();
      resolve(new X509Certificate(raw));
    });
    socket.once('error', reject);
  });
}

describe('the agent certificate (IPA tls_utils)', () => {
  it('is self-signed, for the advertised address only, P-384, valid from an hour ago for 90 days', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const tls = await selfSignedCertificate('192.0.2.7', now);
    const cert = new X509Certificate(tls.cert);
    expect(cert.checkIP('192.0.2.7')).toBe('192.0.2.7');
    expect(cert.checkIP('192.0.2.8')).toBeUndefined();
    expect(cert.subjectAltName).toBe('IP Address:192.0.2.7');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(tls.key))).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(new Date(cert.validFrom).getTime()).toBe(now.getTime() - 3600 * 1000);
    expect(new Date(cert.validTo).getTime()).toBe(now.getTime() + 90 * DAY_MS);
    expect(tls.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('names a host name as a DNS name', async () => {
    const cert = new X509Certificate((await selfSignedCertificate('agent.example.test')).cert);
    expect(cert.checkHost('agent.example.test')).toBe('agent.example.test');
    expect(cert.checkIP('127.0.0.1')).toBeUndefined();
  });
});

describe('the command API over HTTPS (auto TLS)', () => {
  it('serves HTTPS only, with the certificate it sends as agent_verify_ca with an https callback_url', async () => {
    const { ironic, lab } = await setUp();
    const agent = await run(lab, { enable_auto_tls: true });
    expect(agent.callbackUrl).toBe(`https://127.0.0.1:${agent.port}`);
    const beat = await nextHeartbeat(ironic);
    expect(beat.callback_url).toBe(agent.callbackUrl);
    const pem = beat.agent_verify_ca as string;
    const sent = new X509Certificate(pem);
    expect(sent.checkIP('127.0.0.1')).toBe('127.0.0.1');
    // The very certificate the server presents.
    expect((await presented(agent.port)).fingerprint256).toBe(sent.fingerprint256);

    // Pinned: a client trusting only that certificate gets in, with the token.
    const status = await fetch(`${agent.callbackUrl}/v1/status`, { dispatcher: trusting(pem) });
    expect(status.status).toBe(200);
    const commands = await fetch(`${agent.callbackUrl}/v1/commands/?agent_token=${FAKE_TOKEN}`, {
      dispatcher: trusting(pem),
    });
    expect(await commands.json()).toEqual({ commands: [] });
    const root = (await (
      await fetch(`${agent.callbackUrl}/v1/`, { dispatcher: trusting(pem) })
    ).json()) as { links: { href: string }[] };
    expect(root.links[0]!.href).toBe(`${agent.callbackUrl}/v1/`);
    // Plain HTTP is not served, and a client with only the system's CAs refuses the certificate.
    await expect(fetch(`http://127.0.0.1:${agent.port}/v1/status`)).rejects.toThrow();
    await expect(fetch(`${agent.callbackUrl}/v1/status`)).rejects.toThrow();
    // Nor does a certificate of another agent open it.
    const other = (await selfSignedCertificate('127.0.0.1')).cert;
    await expect(
      fetch(`${agent.callbackUrl}/v1/status`, { dispatcher: trusting(other) }),
    ).rejects.toThrow();
  });

  it('stays on HTTP, sending no certificate, when the API is older than 1.68', async () => {
    const { ironic, lab } = await setUp({ maxVersion: '1.62' });
    const agent = await run(lab, { enable_auto_tls: true });
    const beat = await nextHeartbeat(ironic);
    expect(beat.callback_url).toBe(`http://127.0.0.1:${agent.port}`);
    expect(beat).not.toHaveProperty('agent_verify_ca');
  });

  it('stays on HTTP when ipa-enable-auto-tls=0 is on its kernel command line', async () => {
    const { ironic, lab } = await setUp();
    const agent = await run(lab, {
      enable_auto_tls: undefined,
      kernel_params: 'ipa-enable-auto-tls=0',
    });
    const beat = await nextHeartbeat(ironic);
    expect(beat.callback_url).toBe(`http://127.0.0.1:${agent.port}`);
    expect(beat).not.toHaveProperty('agent_verify_ca');
    expect((await fetch(`${agent.callbackUrl}/v1/status`)).status).toBe(200);
  });
});

describe('HTTPS servers the agent calls (ca_file, ipa-insecure)', () => {
  it('finds its node at an HTTPS API it verifies against ca_file', async () => {
    const { ironic, lab } = await setUp({ tls: serverTls });
    expect(ironic.url).toMatch(/^https:/);
    const agent = await run(lab, { ca_file: caFile });
    expect(agent.nodeUuid).toBe(ironic.nodeUuid);
    expect(ironic.lookups).toHaveLength(1);
  });

  it('gives up on an HTTPS API whose certificate it cannot verify, and trusts anything with ipa-insecure=1', async () => {
    const { ironic, lab } = await setUp({ tls: serverTls });
    await expect(
      startAgent(lab.config({ lookup_timeout_s: 0.5 }), { logSink: silentSink }),
    ).rejects.toThrow();
    expect(ironic.lookups).toHaveLength(0);

    const agent = await run(lab, { kernel_params: 'ipa-insecure=1' });
    expect(agent.nodeUuid).toBe(ironic.nodeUuid);
  });

  it('downloads images from an HTTPS server verified against ca_file, and refuses an unknown certificate', async () => {
    const files = await new FileServer({ tls: serverTls }).start();
    cleanups.push(() => files.stop());
    const url = files.serve('ca.crt', caFile);
    const dispatcher = await outboundDispatcher({ ca_file: caFile, insecure: false });
    cleanups.push(async () => dispatcher?.close());
    const sink = new BufferSink();
    await downloadTo(url, sink, { dispatcher });
    expect(sink.bytes().toString()).toBe(serverTls.cert);

    await expect(downloadTo(url, new BufferSink(), { attempts: 1 })).rejects.toThrow(/certificate/);
  });

  it('refuses a ca_file that holds no certificate, naming it', async () => {
    const bad = join(dir, 'not-a-ca.pem');
    await writeFile(bad, 'hello');
    await expect(outboundDispatcher({ ca_file: bad, insecure: false })).rejects.toThrow(
      `ca_file: ${bad} holds no PEM certificate`,
    );
  });
});

/** The body of the next heartbeat the fake API receives. */
async function nextHeartbeat(ironic: FakeIronic): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  while (ironic.heartbeats.length === 0) {
    if (Date.now() > deadline) throw new Error('no heartbeat');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return ironic.heartbeats[0]!.body as Record<string, unknown>;
}
