import { describe, expect, it } from 'vitest';
import { stablePort } from '../src/free-port.js';

describe('stablePort', () => {
  it('never gives the same port twice in one process, even before anything binds it', async () => {
    const ports = await Promise.all(Array.from({ length: 300 }, () => stablePort()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port).toBeGreaterThanOrEqual(10_000);
  });
});
