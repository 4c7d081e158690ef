import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferSink, downloadTo } from '../src/image/download.js';

const BODY = Buffer.from('an image that is back after a restart');

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
const close = (server: Server) => new Promise((resolve) => server.close(resolve));
const imageServer = () => createServer((_req, res) => res.writeHead(200).end(BODY));

/**
 * An image server that restarts (the image cache, a few seconds) is waited for: the tries back
 * off (first delay, doubling, at most 10 s), six in all, before the download fails.
 */
describe('a download whose server is away for a while', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close));
  });

  it('goes through once the server is back, the pauses growing meanwhile', async () => {
    const first = imageServer();
    const port = await listen(first);
    await close(first);
    const retries: number[] = [];
    const started = Date.now();
    const download = downloadTo(`http://127.0.0.1:${port}/image.raw`, new BufferSink(), {
      retryDelayMs: 100,
      onRetry: () => retries.push(Date.now() - started),
    });
    // Down for longer than the first three pauses (0.1 + 0.2 + 0.4 s).
    await new Promise((resolve) => setTimeout(resolve, 900));
    const back = imageServer();
    servers.push(back);
    await listen(back, port);
    expect(await download).toBe(BODY.length);
    expect(retries.length).toBeGreaterThanOrEqual(3);
    const pauses = retries.slice(1).map((at, i) => at - retries[i]!);
    for (const [i, pause] of pauses.entries())
      expect(pause).toBeGreaterThanOrEqual(100 * 2 ** i - 20);
  });

  it('gives up after six tries when the server stays away', async () => {
    const gone = imageServer();
    const port = await listen(gone);
    await close(gone);
    const retries: number[] = [];
    await expect(
      downloadTo(`http://127.0.0.1:${port}/image.raw`, new BufferSink(), {
        retryDelayMs: 10,
        onRetry: (attempt) => retries.push(attempt),
      }),
    ).rejects.toThrow();
    expect(retries).toEqual([1, 2, 3, 4, 5]);
  });
});
