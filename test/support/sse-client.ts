import { request, type IncomingMessage, type ClientRequest } from 'node:http';

export interface SseMessage {
  id: string | undefined;
  event: string;
  /** The data field parsed as JSON. */
  data: any;
}

/**
 * A Server-Sent Events client for tests, on node:http (no browser): it parses the stream as the
 * EventSource algorithm does, keeps every message and comment, and lets a test wait for what it
 * expects (event-driven, no polling). `pause()` stops reading the socket, as a slow client would.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  /** The last `id:` seen, as EventSource keeps it for Last-Event-ID. */
  lastEventId: string | undefined;
  ended = false;
  private pending = '';
  private waiters = new Set<() => void>();

  private constructor(
    private readonly req: ClientRequest,
    readonly response: IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.feed(chunk));
    response.on('end', () => this.finish());
    response.on('close', () => this.finish());
    response.on('error', () => this.finish());
  }

  /** Opens the stream; rejects with the status and body when the answer is not 200. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        if (res.statusCode !== 200) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () =>
            reject(
              Object.assign(new Error(`${res.statusCode} ${body}`), {
                status: res.statusCode,
                body,
              }),
            ),
          );
          return;
        }
        resolve(new SseClient(req, res));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The status and body of a request that is not expected to open a stream. */
  static async refusal(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string }> {
    try {
      const client = await SseClient.open(url, headers);
      client.close();
      return { status: 200, body: '' };
    } catch (error) {
      const e = error as { status?: number; body?: string };
      if (e.status === undefined) throw error;
      return { status: e.status, body: e.body ?? '' };
    }
  }

  /** The events (not `ready`/`reset`) received so far. */
  get events(): SseMessage[] {
    return this.messages.filter((m) => m.event !== 'ready' && m.event !== 'reset');
  }

  pause(): void {
    this.response.pause();
  }

  resume(): void {
    this.response.resume();
  }

  /** Waits until `done()` holds over what arrived; fails with what did arrive otherwise. */
  async waitUntil<T>(
    what: string,
    done: () => T | undefined | false,
    timeoutMs = 20_000,
  ): Promise<T> {
    const now = done();
    if (now) return now;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = done();
        if (value) {
          cleanup();
          resolve(value);
        } else if (this.ended) {
          cleanup();
          reject(new Error(`stream ended before ${what}; received: ${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; received: ${this.describe()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits for the stream to end (the server closed it). */
  async waitForEnd(timeoutMs = 20_000): Promise<void> {
    await this.waitUntil('the end of the stream', () => this.ended || undefined, timeoutMs).catch(
      (error) => {
        if (!this.ended) throw error;
      },
    );
  }

  close(): void {
    this.req.destroy();
    this.finish();
  }

  describe(): string {
    return this.messages
      .map((m) => `${m.id ?? '-'} ${m.event} ${JSON.stringify(m.data).slice(0, 160)}`)
      .join('\n  ');
  }

  private feed(chunk: string): void {
    this.pending += chunk;
    let end: number;
    while ((end = this.pending.search(/\r?\n\r?\n/)) >= 0) {
      const block = this.pending.slice(0, end);
      this.pending = this.pending.slice(end).replace(/^\r?\n\r?\n/, '');
      this.parseBlock(block);
    }
    this.notify();
  }

  private parseBlock(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (id !== undefined) this.lastEventId = id;
    if (data.length === 0) return;
    this.messages.push({ id, event, data: JSON.parse(data.join('\n')) });
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
