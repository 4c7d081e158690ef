import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodes } from '@ingot/store';
import { TestApi } from './support/test-api.js';

/**
 * A conductor releases a node's lease just after the write that brings it to rest: a PATCH in that
 * moment waits for the lease to go instead of answering 409, but no longer than a moment.
 */
describe('PATCH of a node whose lease is about to go', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(async () => {
    await api?.stop();
  });

  const lease = (uuid: string, owner: string | null) =>
    api.db
      .update(nodes)
      .set({
        leaseOwner: owner,
        leaseExpiresAt: owner ? new Date(Date.now() + 30_000) : null,
      })
      .where(eq(nodes.uuid, uuid));
  const addExtra = (uuid: string, value: string) =>
    api.call('PATCH', `/v1/nodes/${uuid}`, [{ op: 'add', path: '/extra/k', value }]);

  it('waits for a lease released within a moment of a node at rest, then applies the patch', async () => {
    const uuid = await api.node('resting');
    await lease(uuid, 'conductor-a');
    const started = Date.now();
    const patched = addExtra(uuid, 'after the release');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await lease(uuid, null);
    const res = await patched;
    expect(res.status, res.fault).toBe(200);
    expect(res.body.extra.k).toBe('after the release');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('answers 409 naming the holder when the lease stays held', async () => {
    const uuid = await api.node('held');
    await lease(uuid, 'conductor-b');
    const res = await addExtra(uuid, 'never');
    expect(res.status).toBe(409);
    expect(res.fault).toBe(
      `Node ${uuid} is locked by conductor-b; retry when the current operation ends.`,
    );
    await lease(uuid, null);
    const node = await api.call('GET', `/v1/nodes/${uuid}`);
    expect(node.body.extra).toEqual({});
  });
});
