// The log shipper against a real HTTP server on 127.0.0.1 that plays the API's agent_logs endpoint.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogShipper } from '../src/ironic/log-shipper.js';
import { AgentLogger, silentSink } from '../src/log.js';

const NODE = '11111111-2222-4333-8444-555555555555';
const TOKEN = 'k'.repeat(43);

interface Batch {
  path: string;
  body: {
    agent_token: string;
    boot: string;
    lines: { at: string; level: string; message: string }[];
    dropped?: number;
  };
}

/** Records the batches it takes; answers `status` (204 while the API is "up"). */
class LogsApi {
  readonly batches: Batch[] = [];
  status = 204;
  private readonly server: Server;
  private waiters: Array<() => void> = [];

  private constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        if (this.status === 204) this.batches.push({ path: req.url!, body: JSON.parse(body) });
        res.writeHead(this.status).end();
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  static async start(): Promise<LogsApi> {
    const api = new LogsApi();
    api.server.listen(0, '127.0.0.1');
    await once(api.server, 'listening');
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get lines() {
    return this.batches.flatMap((b) => b.body.lines);
  }

  /** Resolves once `done()` holds after a request was answered. */
  async until(done: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${this.lines.length} lines`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

describe('agent log shipping', () => {
  let api: LogsApi | undefined;
  let shipper: LogShipper | undefined;
  afterEach(async () => {
    shipper?.stop();
    await api?.close();
  });

  function logged(count: number, log: AgentLogger, from = 0): void {
    for (let i = from; i < from + count; i++) log.info(`line ${i}`, { i });
  }

  it('sends the lines logged before it knew its node, then the later ones, in order and in bounded batches', async () => {
    api = await LogsApi.start();
    shipper = new LogShipper({ apiUrl: api.url, maxBatchLines: 50, intervalMs: 20 });
    const log = new AgentLogger(silentSink);
    log.subscribe((entry) => shipper!.push(entry));
    log.addSecret(TOKEN);
    logged(120, log);
    log.warn('token is ' + TOKEN);
    expect(api.batches).toHaveLength(0); // no node yet: nothing is sent
    shipper.start(NODE, TOKEN);
    logged(30, log, 120);
    await api.until(() => api!.lines.length === 151);

    expect(api.batches.every((b) => b.body.lines.length <= 50)).toBe(true);
    expect(api.batches.every((b) => b.path === `/v1/agent_logs/${NODE}`)).toBe(true);
    expect(api.batches.every((b) => b.body.agent_token === TOKEN)).toBe(true);
    expect(new Set(api.batches.map((b) => b.body.boot))).toEqual(new Set([shipper.boot]));
    const messages = api.lines.map((l) => l.message);
    expect(messages.slice(0, 2)).toEqual(['line 0 {"i":0}', 'line 1 {"i":1}']);
    expect(messages[120]).toBe('token is ******');
    expect(messages.at(-1)).toBe('line 149 {"i":149}');
    expect(api.lines[120]!.level).toBe('warning');
    expect(api.batches.some((b) => b.body.dropped)).toBe(false);
  });

  it('keeps a bounded buffer while the API is away, drops the oldest, and reports how many', async () => {
    api = await LogsApi.start();
    api.status = 503;
    shipper = new LogShipper({
      apiUrl: api.url,
      maxBufferedLines: 100,
      intervalMs: 20,
      maxBackoffMs: 50,
    });
    const log = new AgentLogger(silentSink);
    log.subscribe((entry) => shipper!.push(entry));
    shipper.start(NODE, TOKEN);
    logged(1_000, log);
    expect(shipper.bufferedLines).toBe(100);
    expect(shipper.droppedLines).toBe(900);

    api.status = 204;
    await api.until(() => api!.lines.length === 100);
    expect(api.batches[0]!.body.dropped).toBe(900);
    expect(api.lines.map((l) => l.message)[0]).toBe('line 900 {"i":900}');
    // Counted until the API took the batch that reported them (its answer is read after it).
    await vi.waitFor(() => expect(shipper!.droppedLines).toBe(0));
  });

  it('never throws or waits long when nothing answers, and sends nothing more with a token the API refused', async () => {
    // A port nothing listens on.
    const gone = await LogsApi.start();
    const url = gone.url;
    await gone.close();
    shipper = new LogShipper({ apiUrl: url, intervalMs: 10 });
    const log = new AgentLogger(silentSink);
    log.subscribe((entry) => shipper!.push(entry));
    shipper.start(NODE, TOKEN);
    logged(10, log);
    const started = Date.now();
    await shipper.flush(2_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(shipper.bufferedLines).toBe(10);
    shipper.stop();

    api = await LogsApi.start();
    api.status = 401;
    const refused = new LogShipper({ apiUrl: api.url, intervalMs: 10, maxBufferedLines: 20 });
    shipper = refused;
    const log2 = new AgentLogger(silentSink);
    log2.subscribe((entry) => refused.push(entry));
    refused.start(NODE, 'stale-token-from-an-old-iso');
    logged(5, log2);
    await refused.flush(1_000);
    // Refused once: nothing more goes with that token, even when the API would take it.
    api.status = 204;
    logged(25, log2, 5);
    refused.start(NODE, 'stale-token-from-an-old-iso');
    await refused.flush(1_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(api.batches).toHaveLength(0);
    expect(refused.bufferedLines).toBe(20);
    // The lookup's token is another one: the lines kept go with it.
    refused.start(NODE, TOKEN);
    await api.until(() => api!.lines.length === 20);
    expect(api.batches[0]!.body.dropped).toBe(10);
    expect(api.lines[0]!.message).toBe('line 10 {"i":10}');
  });
});
