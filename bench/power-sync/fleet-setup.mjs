// Takes N redfish nodes, one per system of a light BMC host, through Ingot's API to a resting
// state: enroll, manage (the BMC is verified), then provide (→ available) or adopt (→ active,
// instance_info says what the server runs). Many requests in flight, progress on stderr.
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';

/** Runs fn over items with at most `concurrency` calls in flight; results in item order. */
export async function inPool(items, concurrency, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

async function expectStatus(res, status, what) {
  if (res.status !== status)
    throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 500)}`);
  return res.body;
}

export async function enrollAll(system, host, count, concurrency, instanceInfo) {
  const indexes = Array.from({ length: count }, (_, i) => i);
  return inPool(indexes, concurrency, async (index) => {
    const res = await system.api('POST', '/v1/nodes', {
      name: `light-${index + 1}`,
      driver: 'redfish',
      driver_info: host.driverInfo(index),
      ...(instanceInfo ? { instance_info: instanceInfo } : {}),
    });
    return (await expectStatus(res, 201, `enroll light-${index + 1}`)).uuid;
  });
}

export async function provisionAll(system, uuids, target, concurrency) {
  await inPool(uuids, concurrency, async (uuid) => {
    const res = await system.api('PUT', `/v1/nodes/${uuid}/states/provision`, { target });
    await expectStatus(res, 202, `provision ${target} on ${uuid}`);
  });
}

/** Every node, a page of 1000 at a time: uuid → its states, maintenance and last_error. */
export async function listAll(system) {
  const nodes = new Map();
  const fields = 'uuid,provision_state,target_provision_state,power_state,maintenance,last_error';
  let path = `/v1/nodes?fields=${fields}&limit=1000`;
  while (path) {
    const res = await system.api('GET', path);
    const body = await expectStatus(res, 200, 'list nodes');
    for (const n of body.nodes) nodes.set(n.uuid, n);
    path = body.next ? new URL(body.next).pathname + new URL(body.next).search : undefined;
  }
  return nodes;
}

/**
 * Polls until every node rests in `state`; nodes that end elsewhere at rest (a failed verify goes
 * back to enroll with last_error) are reported, not waited for.
 */
export async function waitForAll(system, uuids, state, { timeoutMs, pollMs = 2_000, log }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nodes = await listAll(system);
    const counts = {};
    const failed = [];
    let done = 0;
    for (const uuid of uuids) {
      const n = nodes.get(uuid);
      const where = n ? `${n.provision_state}${n.target_provision_state ? '→' : ''}` : 'gone';
      counts[where] = (counts[where] ?? 0) + 1;
      if (n?.provision_state === state && n.target_provision_state === null) done++;
      else if (n && n.target_provision_state === null && n.last_error) failed.push(n);
    }
    log(`  ${state}: ${done}/${uuids.length} ${JSON.stringify(counts)}`);
    if (done + failed.length === uuids.length) return { done, failed };
    if (Date.now() > deadline) {
      throw new Error(`nodes did not reach ${state} in ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
