// Serves test images over HTTP on 127.0.0.1, with Range support and ways to misbehave.
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';

export interface FileServerOptions {
  /** Bodies wait for this before being sent (to keep a command RUNNING). */
  gate?: Promise<void>;
  /** The first full request is cut after this many bytes. */
  dropFirstAfter?: number;
  /** Serve HTTPS with this key and certificate. */
  tls?: { key: string; cert: string };
}

export class FileServer {
  private server: Server | TlsServer | undefined;
  private readonly files = new Map<string, string>();
  readonly requests: { path: string; range?: string }[] = [];
  private dropped = false;
  url = '';

  constructor(private readonly opts: FileServerOptions = {}) {}

  /** Makes a local file available at /<name>; returns its URL. */
  serve(name: string, path: string): string {
    this.files.set(`/${name}`, path);
    return `${this.url}/${name}`;
  }

  async start(): Promise<this> {
    const listener: RequestListener = (req, res) => {
      void (async () => {
        const path = new URL(req.url ?? '/', 'http://files').pathname;
        this.requests.push({ path, range: req.headers.range });
        const file = this.files.get(path);
        if (!file) {
          res.writeHead(404).end();
          return;
        }
        await this.opts.gate;
        const data = await readFile(file);
        const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
        if (range) {
          const start = Number(range[1]);
          res.writeHead(206, {
            'Content-Length': data.length - start,
            'Content-Range': `bytes ${start}-${data.length - 1}/${data.length}`,
          });
          res.end(data.subarray(start));
          return;
        }
        res.writeHead(200, { 'Content-Length': data.length });
        if (this.opts.dropFirstAfter !== undefined && !this.dropped) {
          this.dropped = true;
          res.write(data.subarray(0, this.opts.dropFirstAfter), () => res.destroy());
          return;
        }
        res.end(data);
      })();
    };
    this.server = this.opts.tls ? createTlsServer(this.opts.tls, listener) : createServer(listener);
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const scheme = this.opts.tls ? 'https' : 'http';
    this.url = `${scheme}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
