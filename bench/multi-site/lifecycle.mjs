// The Ironic-API lifecycle of the anchor's workload (enroll node + port, manage, provide, deploy,
// power off, power on, undeploy, delete; `concurrency` clients; a list polled every `pollMs`;
// 409/503/network errors retried as python-ironicclient does), for nodes spread over several
// sites (conductor_group). The anchor's script has no conductor_group, hence this client.
/* global fetch, AbortSignal -- Node's own, as in the services */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';

const FAILED_PROVISION = new Set([
  'deploy failed',
  'clean failed',
  'inspect failed',
  'error',
  'rescue failed',
  'unrescue failed',
  'adopt failed',
  'service failed',
]);
const PROVISION_FIELDS = 'uuid,provision_state,target_provision_state,last_error';
const POWER_FIELDS = 'uuid,power_state,target_power_state,last_error';

const provisionDone = (state) => (n) => n.provision_state === state && !n.target_provision_state;
const provisionFailed = (from) => (n) =>
  FAILED_PROVISION.has(n.provision_state) ||
  (n.provision_state === from && !n.target_provision_state && !!n.last_error);
const powerDone = (state) => (n) => n.power_state === state && !n.target_power_state;
const powerFailed = (state) => (n) =>
  !n.target_power_state && n.power_state !== state && !!n.last_error;

export const PHASES = [
  'enroll',
  'manage',
  'provide',
  'deploy',
  'power_off',
  'power_on',
  'undeploy',
  'delete',
];

export class Lifecycle {
  /**
   * @param {{ url: string, sites: string[], nodesPerSite: number, concurrency: number,
   *   pollMs: number, retries: number, retryMs: number, phaseTimeoutS: number }} opts
   */
  constructor(opts) {
    this.opts = opts;
    const run = Date.now().toString(36).slice(-6);
    this.resourceClass = `multisite-${run}`;
    this.prefix = `ms-${run}-`;
    /** @type {{ uuid: string, site: string, index: number }[]} nodes still in the run */
    this.nodes = [];
    this.counts = { requests: 0, failed: 0, retries: 0 };
  }

  /**
   * Runs one phase. With `onProgress({ elapsedMs, doneBySite, totalBySite, done })` (the kill
   * variant's, to pick its moment), polling starts with the phase, not once every request is in,
   * and the hook is called after every poll.
   */
  async run(phase, onProgress) {
    const before = { ...this.counts };
    const t0 = performance.now();
    const outcome =
      phase === 'enroll'
        ? await this.enroll()
        : phase === 'delete'
          ? await this.remove()
          : await this.actAndWait(phase, t0, onProgress);
    return {
      phase,
      wall_s: round((performance.now() - t0) / 1000),
      requests: this.counts.requests - before.requests,
      failed_requests: this.counts.failed - before.failed,
      retries: this.counts.retries - before.retries,
      ...outcome,
    };
  }

  async enroll() {
    const { sites, nodesPerSite } = this.opts;
    const indexes = Array.from({ length: sites.length * nodesPerSite }, (_, i) => i);
    const macBase = [0x52, 0x54, random(256), random(256)];
    const created = [];
    let failed = 0;
    await this.pool(indexes, async (index) => {
      // Interleaved, so both sites are busy from the first request to the last.
      const site = sites[index % sites.length];
      const node = await this.request('POST', '/v1/nodes', [201], {
        name: `${this.prefix}${String(index).padStart(5, '0')}`,
        driver: 'fake-hardware',
        resource_class: this.resourceClass,
        conductor_group: site,
        driver_info: {},
        properties: { cpus: 8, memory_mb: 16384, local_gb: 100, cpu_arch: 'x86_64' },
      });
      if (!node?.uuid) return void failed++;
      const mac = [...macBase, (index >> 8) & 255, index & 255]
        .map((b) => b.toString(16).padStart(2, '0'))
        .join(':');
      const port = await this.request('POST', '/v1/ports', [201], {
        address: mac,
        node_uuid: node.uuid,
      });
      if (!port) failed++;
      created.push({ uuid: node.uuid, site, index });
    });
    this.nodes = created.sort((a, b) => a.index - b.index);
    return { nodes: indexes.length, failed_nodes: failed };
  }

  async remove() {
    const count = this.nodes.length;
    let failed = 0;
    await this.pool(this.nodes, async (node) => {
      if (!(await this.request('DELETE', `/v1/nodes/${node.uuid}`, [204]))) failed++;
    });
    const left = await this.list('uuid');
    this.nodes = [];
    return { nodes: count, failed_nodes: failed, nodes_left: left?.length ?? null };
  }

  async actAndWait(phase, t0, onProgress) {
    const step = this.steps()[phase];
    if (!step) throw new Error(`unknown phase ${phase}`);
    const count = this.nodes.length;
    const rejected = new Set();
    let issuedS;
    const issuing = this.pool(this.nodes, async (node) => {
      if (!(await step.issue(node))) rejected.add(node.uuid);
    }).then(() => (issuedS = (performance.now() - t0) / 1000));
    if (!onProgress) await issuing;
    const waited = await this.waitFor(this.nodes, rejected, step, t0, onProgress);
    await issuing;
    const reached = new Set(waited.reachedAt.keys());
    this.nodes = this.nodes.filter((n) => reached.has(n.uuid));
    return {
      nodes: count,
      failed_nodes: count - reached.size,
      issue_s: round(issuedS),
      site_done_s: waited.siteDoneS,
      reached_at_ms: waited.reachedAt,
      failed_samples: waited.failedSamples,
    };
  }

  steps() {
    const provision = (target) => (node) =>
      this.request('PUT', `/v1/nodes/${node.uuid}/states/provision`, [202], { target });
    const power = (target) => (node) =>
      this.request('PUT', `/v1/nodes/${node.uuid}/states/power`, [202], { target });
    const imageSource = 'http://127.0.0.1:9/bench-image.qcow2';
    return {
      manage: {
        issue: provision('manage'),
        fields: PROVISION_FIELDS,
        done: provisionDone('manageable'),
        failed: provisionFailed('enroll'),
      },
      provide: {
        issue: provision('provide'),
        fields: PROVISION_FIELDS,
        done: provisionDone('available'),
        failed: provisionFailed('manageable'),
      },
      deploy: {
        issue: async (node) =>
          (await this.request(
            'PATCH',
            `/v1/nodes/${node.uuid}`,
            [200],
            [
              { op: 'add', path: '/instance_info/image_source', value: imageSource },
              { op: 'add', path: '/instance_info/root_gb', value: 10 },
              {
                op: 'add',
                path: '/instance_info/image_checksum',
                value: 'd41d8cd98f00b204e9800998ecf8427e',
              },
            ],
          )) && provision('active')(node),
        fields: PROVISION_FIELDS,
        done: provisionDone('active'),
        failed: provisionFailed('available'),
      },
      power_off: {
        issue: power('power off'),
        fields: POWER_FIELDS,
        done: powerDone('power off'),
        failed: powerFailed('power off'),
      },
      power_on: {
        issue: power('power on'),
        fields: POWER_FIELDS,
        done: powerDone('power on'),
        failed: powerFailed('power on'),
      },
      undeploy: {
        issue: provision('deleted'),
        fields: PROVISION_FIELDS,
        done: provisionDone('available'),
        failed: provisionFailed('active'),
      },
    };
  }

  async waitFor(nodes, rejected, step, t0, onProgress) {
    const pending = new Map(nodes.map((n) => [n.uuid, n]));
    const reachedAt = new Map();
    const failedSamples = [];
    const totalBySite = countBy(nodes, (n) => n.site);
    const doneBySite = Object.fromEntries(Object.keys(totalBySite).map((s) => [s, 0]));
    const siteDoneS = {};
    const deadline = t0 + this.opts.phaseTimeoutS * 1000;
    while (pending.size > 0) {
      const listed = await this.list(step.fields);
      for (const uuid of rejected) pending.delete(uuid);
      const elapsedMs = performance.now() - t0;
      for (const row of listed ?? []) {
        const node = pending.get(row.uuid);
        if (!node) continue;
        if (step.done(row)) {
          pending.delete(row.uuid);
          reachedAt.set(row.uuid, Math.round(elapsedMs));
          if (++doneBySite[node.site] === totalBySite[node.site])
            siteDoneS[node.site] = round(elapsedMs / 1000);
        } else if (step.failed(row)) {
          pending.delete(row.uuid);
          if (failedSamples.length < 5) failedSamples.push({ ...row, site: node.site });
        }
      }
      await onProgress?.({ elapsedMs, doneBySite, totalBySite, done: reachedAt });
      if (pending.size === 0) break;
      if (performance.now() > deadline) {
        for (const node of [...pending.values()].slice(0, 5 - failedSamples.length))
          failedSamples.push({ uuid: node.uuid, site: node.site, why: 'timeout' });
        break;
      }
      await sleep(this.opts.pollMs);
    }
    return { reachedAt, failedSamples, siteDoneS };
  }

  /** Every node of the run, following the API's `next` links. */
  async list(fields) {
    let path = `/v1/nodes?resource_class=${this.resourceClass}&fields=${fields}`;
    const rows = [];
    while (path) {
      const page = await this.request('GET', path, [200]);
      if (!page) return null;
      rows.push(...(page.nodes ?? []));
      path = page.next && page.nodes?.length ? relative(page.next) : null;
    }
    return rows;
  }

  /** The parsed body (or true when there is none), or null once retries are exhausted. */
  async request(method, path, okStatus, body) {
    for (let attempt = 0; ; attempt++) {
      this.counts.requests++;
      let status = 0;
      let text = '';
      try {
        const response = await fetch(this.opts.url + path, {
          method,
          headers: {
            'x-openstack-ironic-api-version': '1.78',
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(120_000),
        });
        status = response.status;
        text = await response.text();
      } catch (error) {
        text = `network error: ${error.message}`;
      }
      if (okStatus.includes(status)) return text ? JSON.parse(text) : true;
      if ((status === 0 || status === 409 || status === 503) && attempt < this.opts.retries) {
        this.counts.retries++;
        await sleep(this.opts.retryMs * (attempt + 1));
        continue;
      }
      this.counts.failed++;
      if (this.counts.failed <= 5)
        console.error(`  ! ${method} ${path}: ${status || ''} ${text.slice(0, 300)}`);
      return null;
    }
  }

  async pool(items, fn) {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await fn(items[next++]);
    };
    await Promise.all(
      Array.from({ length: Math.min(this.opts.concurrency, items.length) }, worker),
    );
  }
}

function relative(link) {
  const url = new URL(link);
  return url.pathname + url.search;
}

function countBy(items, key) {
  const counts = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

const random = (n) => Math.floor(Math.random() * n);
const round = (x) => Math.round(x * 100) / 100;
