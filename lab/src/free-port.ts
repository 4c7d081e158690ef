import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** A TCP port free on loopback right now, from the kernel's ephemeral range. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

const LOWEST_STABLE_PORT = 10_000;

/**
 * Ports stablePort() gave out in this process. A port picked for a service that has not bound it
 * yet still looks free, so without this two services of one installation could get the same
 * port (seen: a power worker's ops server took the API's, and every API request got its 404).
 */
const handedOut = new Set<number>();

/** The kernel's ephemeral range (ports it hands to outgoing connections), e.g. 32768–60999. */
async function ephemeralRange(): Promise<[number, number]> {
  const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
  const [low, high] = text.trim().split(/\s+/).map(Number);
  return low && high ? [low, high] : [32_768, 60_999];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback port free now that stays free while nothing listens on it: one outside the kernel's
 * ephemeral range, so an outgoing connection never takes it as its local port. For ports that
 * are bound again and again (a restarted service, a VM's forwarded agent port across power
 * cycles), where a port from freePort() can be taken in between and the rebind then fails.
 * Never the same port twice in one process.
 */
export async function stablePort(): Promise<number> {
  const [ephemeralLow, ephemeralHigh] = await ephemeralRange();
  const [low, high] =
    ephemeralLow - LOWEST_STABLE_PORT >= 1_000
      ? [LOWEST_STABLE_PORT, ephemeralLow - 1]
      : [ephemeralHigh + 1, 65_535];
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    handedOut.add(port); // before the check, so that concurrent callers cannot pick it too
    if (await canListen(port)) return port;
    handedOut.delete(port);
  }
  throw new Error(`no free loopback port between ${low} and ${high} after 200 tries`);
}
