import type { ApiClient } from '../client.js';
import { ApiError } from '../client.js';
import { EXIT } from '../exit-codes.js';
import { readHostsFile, type HostToEnroll } from '../hosts-file.js';
import { ProgressLine } from '../progress.js';
import { describeWait, waitExitCode, waitForNodes, type WaitResult } from './wait.js';

export interface EnrollOptions {
  file: string;
  /** Then manage (verify BMC access) or provide (manage, then clean to available). */
  then?: 'manage' | 'provide';
  concurrency: number;
  timeoutMs?: number;
  progressEveryMs?: number;
  json: boolean;
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

interface Outcome {
  host: string;
  where: string;
  result: 'enrolled' | 'exists' | 'failed';
  uuid?: string;
  error?: string;
}

/** Runs `work` on every item with at most `limit` at once. */
export async function eachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function enrollOne(client: ApiClient, host: HostToEnroll): Promise<Outcome> {
  const base = { host: host.name, where: host.where };
  try {
    const created = await client.json<{ uuid: string }>(
      'POST',
      '/v1/nodes',
      host.node,
      (s) => s === 201 || s === 409,
    );
    let uuid = created.body.uuid;
    let result: Outcome['result'] = 'enrolled';
    if (created.status === 409) {
      // Enrolled by an earlier run: a rerun of the same file goes on with the rest.
      uuid = (
        await client.json<{ uuid: string }>(
          'GET',
          `/v1/nodes/${encodeURIComponent(host.name)}?fields=uuid`,
        )
      ).body.uuid;
      result = 'exists';
    }
    if (host.bootMac) {
      const port = await client.json(
        'POST',
        '/v1/ports',
        { node_uuid: uuid, address: host.bootMac, pxe_enabled: true },
        (s) => s === 201 || s === 409,
      );
      if (port.status === 409 && result === 'enrolled')
        return {
          ...base,
          uuid,
          result: 'failed',
          error: `boot MAC ${host.bootMac} belongs to another node`,
        };
    }
    return { ...base, uuid, result };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { ...base, result: 'failed', error: error.message };
  }
}

/** `ingot enroll FILE`: enrolls every host, several at once; --manage/--provide take them on. */
export async function enroll(client: ApiClient, opts: EnrollOptions): Promise<number> {
  const hosts = await readHostsFile(opts.file);
  const progress = new ProgressLine(opts.out, opts.progressEveryMs ?? 5_000, opts.json);
  const outcomes: Outcome[] = [];
  const count = (r: Outcome['result']) => outcomes.filter((o) => o.result === r).length;
  const show = () =>
    progress.update(
      `enrolling ${outcomes.length}/${hosts.length}: ${count('enrolled')} new, ${count('exists')} already there, ${count('failed')} failed`,
    );
  show();
  await eachLimited(hosts, opts.concurrency, async (host) => {
    const outcome = await enrollOne(client, host);
    outcomes.push(outcome);
    if (outcome.result === 'failed')
      progress.log(`✗ ${outcome.where} ${outcome.host}: ${outcome.error}`);
    show();
  });
  progress.done();

  const taken = outcomes.filter((o) => o.result !== 'failed' && o.uuid);
  let wait: WaitResult | undefined;
  const verbFailures: Outcome[] = [];
  if (opts.then && taken.length > 0) {
    await eachLimited(taken, opts.concurrency, async (o) => {
      try {
        await client.json('PUT', `/v1/nodes/${o.uuid}/states/provision`, { target: 'manage' });
      } catch (error) {
        // A node already past enroll (a rerun) needs no manage.
        if (!(
          error instanceof ApiError &&
          error.status === 400 &&
          /enroll|manageable|available|active/.test(error.message) &&
          o.result === 'exists'
        ))
          verbFailures.push({ ...o, result: 'failed', error: (error as Error).message });
      }
    });
    for (const f of verbFailures) progress.log(`✗ ${f.where} ${f.host}: manage: ${f.error}`);
    const provided = new Set<string>();
    const toWaitFor = taken.filter((o) => !verbFailures.includes(o));
    if (toWaitFor.length > 0)
      wait = await waitForNodes(client, {
        state: opts.then === 'provide' ? 'available' : 'manageable',
        idents: toWaitFor.map((o) => o.uuid!),
        timeoutMs: opts.timeoutMs,
        progressEveryMs: opts.progressEveryMs,
        json: opts.json,
        out: opts.out,
        // provide follows manage as each node becomes manageable: no node waits for the slowest.
        onNode: (node) => {
          if (
            opts.then !== 'provide' ||
            node.provision_state !== 'manageable' ||
            provided.has(node.uuid)
          )
            return;
          if (node.target_provision_state !== null) return;
          provided.add(node.uuid);
          client
            .json('PUT', `/v1/nodes/${node.uuid}/states/provision`, { target: 'provide' })
            .catch((error: unknown) => {
              provided.delete(node.uuid);
              progress.log(`✗ ${node.name ?? node.uuid}: provide: ${(error as Error).message}`);
            });
        },
      });
  }

  const failedEnroll = outcomes.filter((o) => o.result === 'failed');
  if (opts.json) {
    opts.out.write(
      `${JSON.stringify(
        {
          enrolled: outcomes
            .filter((o) => o.result === 'enrolled')
            .map((o) => ({ name: o.host, uuid: o.uuid })),
          existing: outcomes
            .filter((o) => o.result === 'exists')
            .map((o) => ({ name: o.host, uuid: o.uuid })),
          failed: [...failedEnroll, ...verbFailures].map((o) => ({
            name: o.host,
            where: o.where,
            error: o.error,
          })),
          ...(wait ? { wait } : {}),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    opts.out.write(
      `enrolled ${count('enrolled')} of ${hosts.length} host(s) from ${opts.file}; ${count('exists')} were already enrolled, ${failedEnroll.length} failed\n`,
    );
    for (const f of failedEnroll) opts.out.write(`  failed: ${f.where} ${f.host}: ${f.error}\n`);
    if (wait) opts.out.write(`${describeWait(wait)}\n`);
  }
  if (failedEnroll.length > 0 || verbFailures.length > 0) return EXIT.failed;
  return wait ? waitExitCode(wait) : EXIT.ok;
}
