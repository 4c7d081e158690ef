import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// The very generator the agent makes its certificate with (IPA's auto TLS).
import { selfSignedCertificate, type AgentTls } from '../../../agent/src/server/auto-tls.js';
import { AgentClient, AgentError } from '../src/agent-client.js';
import { closeAgentConnections } from '../src/agent-tls.js';

const TOKEN = 't'.repeat(43);

/** An agent's command API on 127.0.0.1 that records how each request reached it. */
interface AgentPeer {
  url: string;
  requests: { tls: boolean; token: string | null }[];
  close(): Promise<void>;
}

async function agentPeer(tls?: ServerOptions): Promise<AgentPeer> {
  const requests: AgentPeer['requests'] = [];
  const listener: RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    requests.push({
      tls: (req.socket as TLSSocket).encrypted === true,
      token: url.searchParams.get('agent_token'),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"commands":[]}');
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("the conductor's agent client over the agent's auto TLS", () => {
  let registered: AgentTls;
  let another: AgentTls;
  const peers: AgentPeer[] = [];
  const peer = async (tls?: ServerOptions) => {
    const started = await agentPeer(tls);
    peers.push(started);
    return started;
  };

  beforeAll(async () => {
    registered = await selfSignedCertificate('127.0.0.1');
    another = await selfSignedCertificate('127.0.0.1');
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await closeAgentConnections();
  });
  afterAll(closeAgentConnections);

  it('reaches the agent over TLS when it presents the certificate it registered', async () => {
    const agent = await peer(registered);
    const client = new AgentClient(agent.url, TOKEN, registered.cert);
    expect(await client.commands()).toEqual([]);
    expect(agent.requests).toEqual([{ tls: true, token: TOKEN }]);
  });

  it('refuses an agent that presents another certificate, sending it nothing', async () => {
    const impostor = await peer(another);
    const client = new AgentClient(impostor.url, TOKEN, registered.cert);
    const error = await client.commands().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).message).toMatch(
      new RegExp(
        `^Agent at ${impostor.url} could not be reached \\(.*(self.signed|certificate)`,
        'i',
      ),
    );
    expect(impostor.requests).toEqual([]);
  });

  it('refuses a certificate for another address, even the registered one', async () => {
    const elsewhere = await selfSignedCertificate('192.0.2.10');
    const agent = await peer(elsewhere);
    const client = new AgentClient(agent.url, TOKEN, elsewhere.cert);
    await expect(client.commands()).rejects.toThrow(/ERR_TLS_CERT_ALTNAME_INVALID|192\.0\.2\.10/);
    expect(agent.requests).toEqual([]);
  });

  it('refuses TLS older than 1.3, as Ironic does by default', async () => {
    const agent = await peer({ ...registered, maxVersion: 'TLSv1.2' });
    const client = new AgentClient(agent.url, TOKEN, registered.cert);
    await expect(client.commands()).rejects.toThrow(/could not be reached/);
    expect(agent.requests).toEqual([]);
  });

  it('never calls an agent that registered a certificate over plain HTTP, and says so at once', async () => {
    const plain = await peer();
    const client = new AgentClient(plain.url, TOKEN, registered.cert);
    const error = await client.commands().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({
      retryable: false,
      message: `Agent at ${plain.url} registered a TLS certificate (agent_verify_ca) but its URL is not https: plain HTTP is refused`,
    });
    expect(plain.requests).toEqual([]);
  });

  it('talks plain HTTP to an agent that registered no certificate', async () => {
    const plain = await peer();
    expect(await new AgentClient(plain.url, TOKEN).commands()).toEqual([]);
    expect(plain.requests).toEqual([{ tls: false, token: TOKEN }]);
  });
});
