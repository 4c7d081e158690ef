// A tiny stand-in for Ingot's Ironic-compatible API, answering as Ironic would and recording
// what the agent sent. It is the agent's test peer, on 127.0.0.1 only.
import { createServer, type RequestListener } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';

export interface FakeIronicOptions {
  nodeUuid?: string;
  /** Lookups answered 404 before the first 200. */
  lookupFailures?: number;
  /** What config.agent_token holds in the lookup answer. */
  lookupToken?: string;
  heartbeatTimeout?: number;
  /** Heartbeats answered 409 before they are accepted. */
  heartbeatConflicts?: number;
  /** Answer of continue_inspection (202 with a lookup-style body by default). */
  inspectionToken?: string;
  nodeProperties?: Record<string, unknown>;
  instanceInfo?: Record<string, unknown>;
  maxVersion?: string;
  /** Serve HTTPS with this key and certificate, as an API with INGOT_API_TLS_CERT_FILE. */
  tls?: { key: string; cert: string };
}

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: any;
  at: number;
}

export const FAKE_TOKEN = 'a'.repeat(20) + 'fake-agent-token-0123456789';

export class FakeIronic {
  readonly lookups: Recorded[] = [];
  readonly heartbeats: Recorded[] = [];
  readonly inspections: Recorded[] = [];
  readonly versionProbes: Recorded[] = [];
  private server: Server | TlsServer | undefined;
  private conflictsLeft: number;
  url = '';

  constructor(readonly opts: FakeIronicOptions = {}) {
    this.conflictsLeft = opts.heartbeatConflicts ?? 0;
  }

  get nodeUuid(): string {
    return this.opts.nodeUuid ?? '11111111-2222-4333-8444-555555555555';
  }

  async start(): Promise<this> {
    const listener: RequestListener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const text = Buffer.concat(chunks).toString('utf8');
        const record: Recorded = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: text ? JSON.parse(text) : undefined,
          at: Date.now(),
        };
        const [status, body] = this.answer(record);
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(body === undefined ? '' : JSON.stringify(body));
      });
    };
    const { tls } = this.opts;
    this.server = tls ? createTlsServer(tls, listener) : createServer(listener);
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const scheme = tls ? 'https' : 'http';
    this.url = `${scheme}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private answer(r: Recorded): [number, unknown] {
    if (r.method === 'GET' && r.path === '/') {
      this.versionProbes.push(r);
      const version = { id: 'v1', version: this.opts.maxVersion ?? '1.78', min_version: '1.1' };
      return [200, { name: 'fake', versions: [version], default_version: version }];
    }
    if (r.method === 'GET' && r.path === '/v1/lookup') {
      this.lookups.push(r);
      if (this.lookups.length <= (this.opts.lookupFailures ?? 0)) {
        return [404, { error_message: 'Node could not be found.' }];
      }
      return [200, this.lookupBody(this.opts.lookupToken ?? FAKE_TOKEN)];
    }
    if (r.method === 'POST' && r.path === `/v1/heartbeat/${this.nodeUuid}`) {
      this.heartbeats.push(r);
      if (this.conflictsLeft > 0) {
        this.conflictsLeft--;
        return [409, { error_message: 'Node is locked' }];
      }
      return [202, undefined];
    }
    if (r.method === 'POST' && r.path === '/v1/continue_inspection') {
      this.inspections.push(r);
      return [202, this.lookupBody(this.opts.inspectionToken ?? '******')];
    }
    return [404, { error_message: 'not found' }];
  }

  private lookupBody(token: string) {
    return {
      node: {
        uuid: this.nodeUuid,
        properties: this.opts.nodeProperties ?? {},
        instance_info: this.opts.instanceInfo ?? {},
        driver_internal_info: {},
      },
      config: {
        agent_token: token,
        agent_token_required: true,
        heartbeat_timeout: this.opts.heartbeatTimeout ?? 300,
      },
    };
  }
}
