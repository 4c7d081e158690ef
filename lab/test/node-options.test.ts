// The services' heap settings are written twice: in the lab, which spawns them, and in the image
// every deployment (compose, Kubernetes) runs. They must not drift apart.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_OPTIONS } from '../src/installation.js';

const dockerfile = readFileSync(new URL('../../deploy/Dockerfile', import.meta.url), 'utf8');

describe('service heap settings', () => {
  it('are the same in deploy/Dockerfile as in the lab', () => {
    const line = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile);
    expect(line, 'deploy/Dockerfile sets NODE_OPTIONS').not.toBeNull();
    expect(line![1]!.split(' ')).toEqual(SERVICE_NODE_OPTIONS);
  });
});
