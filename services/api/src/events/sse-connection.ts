import type { ServerResponse } from 'node:http';

/** Thrown by write() when the connection is gone (closed by the client, dropped, or ended). */
export class ConnectionClosed extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ConnectionClosed';
  }
}

export interface SseConnectionOptions {
  /** A comment line this often keeps proxies and clients from timing the stream out. */
  keepAliveMs: number;
  /** A client whose socket does not drain for this long is dropped (it resumes with Last-Event-ID). */
  slowClientMs: number;
}

/**
 * One Server-Sent Events response. Writes wait while the socket is backed up, so that what this
 * process holds for a slow client stays bounded (the socket's buffer and one message); a client
 * that does not read for `slowClientMs` is dropped with a comment saying why.
 */
export class SseConnection {
  private closedReason: string | undefined;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly closeListeners: Array<(reason: string) => void> = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: SseConnectionOptions,
    headers: Record<string, string>,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and its ingress would otherwise buffer the stream.
      'x-accel-buffering': 'no',
      ...headers,
    });
    res.socket?.setNoDelay(true);
    // Browsers retry a dropped stream after this long, with the Last-Event-ID they saw.
    res.write('retry: 2000\n\n');
    res.on('close', () => this.markClosed('the client disconnected'));
    this.keepAlive = setInterval(() => {
      // A backed-up socket is alive enough; adding to its buffer would only grow it.
      if (!this.closed && res.writableLength === 0) res.write(': keep-alive\n\n');
    }, opts.keepAliveMs);
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closedReason !== undefined) listener(this.closedReason);
    else this.closeListeners.push(listener);
  }

  /** Sends one event; resolves once the socket can take more. */
  async send(event: { id?: number; event: string; data: unknown }): Promise<void> {
    const id = event.id === undefined ? '' : `id: ${event.id}\n`;
    await this.write(`${id}event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`);
  }

  async comment(text: string): Promise<void> {
    await this.write(`: ${text.replace(/\n/g, ' ')}\n\n`);
  }

  private async write(text: string): Promise<void> {
    if (this.closedReason !== undefined) throw new ConnectionClosed(this.closedReason);
    if (this.res.write(text)) return;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        resolve(value);
      };
      const onDrain = () => done(true);
      const onClose = () => done(true);
      const timer = setTimeout(() => done(false), this.opts.slowClientMs);
      this.res.once('drain', onDrain);
      this.res.once('close', onClose);
    });
    if (this.closedReason !== undefined) throw new ConnectionClosed(this.closedReason);
    if (!drained) {
      const reason = `the client read nothing for ${this.opts.slowClientMs} ms while events waited`;
      this.end(`dropped: ${reason}; reconnect with Last-Event-ID to resume`);
      throw new ConnectionClosed(reason);
    }
  }

  /**
   * Ends the stream with a last comment saying why. A client that does not read gets its socket
   * destroyed a while later (at least 10 s, for a slow one to read why): nothing of it stays.
   */
  end(why: string): void {
    if (this.closedReason !== undefined) return;
    this.markClosed(why);
    this.res.end(`: ${why.replace(/\n/g, ' ')}\n\n`);
    const destroy = setTimeout(() => this.res.destroy(), Math.max(this.opts.slowClientMs, 10_000));
    destroy.unref();
    this.res.once('close', () => clearTimeout(destroy));
  }

  private markClosed(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    clearInterval(this.keepAlive);
    for (const listener of this.closeListeners.splice(0)) listener(reason);
  }
}
