import type { ApiClient } from '../client.js';
import { ApiError } from '../client.js';
import { EXIT } from '../exit-codes.js';
import { ProgressLine } from '../progress.js';
import { eachLimited } from './enroll.js';
import { describeWait, waitExitCode, waitForNodes } from './wait.js';

export interface DeployOptions {
  image: string;
  checksum: string;
  /** sha256, sha512 or md5; guessed from the checksum's length when absent. */
  checksumType?: string;
  idents: string[];
  /** cloud-init user data, put in the config drive. */
  userData?: string;
  concurrency: number;
  timeoutMs?: number;
  progressEveryMs?: number;
  json: boolean;
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

const ALGORITHM_BY_LENGTH: Record<number, string> = { 32: 'md5', 64: 'sha256', 128: 'sha512' };

/** `ingot deploy`: sets each node's image, asks for active, and shows the fleet's progress. */
export async function deploy(client: ApiClient, opts: DeployOptions): Promise<number> {
  const algorithm = opts.checksumType ?? ALGORITHM_BY_LENGTH[opts.checksum.length];
  const progress = new ProgressLine(opts.out, opts.progressEveryMs ?? 5_000, opts.json);
  const failed: { node: string; error: string }[] = [];
  const started: string[] = [];
  await eachLimited(opts.idents, opts.concurrency, async (ident) => {
    const path = `/v1/nodes/${encodeURIComponent(ident)}`;
    try {
      await client.json('PATCH', path, [
        { op: 'add', path: '/instance_info/image_source', value: opts.image },
        { op: 'add', path: '/instance_info/image_os_hash_algo', value: algorithm },
        {
          op: 'add',
          path: '/instance_info/image_os_hash_value',
          value: opts.checksum.toLowerCase(),
        },
      ]);
      await client.json('PUT', `${path}/states/provision`, {
        target: 'active',
        ...(opts.userData ? { configdrive: { user_data: opts.userData } } : {}),
      });
      started.push(ident);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      failed.push({ node: ident, error: error.message });
      progress.log(`✗ ${ident}: ${error.message}`);
    }
  });
  const wait =
    started.length > 0
      ? await waitForNodes(client, {
          state: 'active',
          idents: started,
          timeoutMs: opts.timeoutMs,
          progressEveryMs: opts.progressEveryMs,
          json: opts.json,
          out: opts.out,
        })
      : undefined;
  if (opts.json)
    opts.out.write(`${JSON.stringify({ refused: failed, ...(wait ? { wait } : {}) }, null, 2)}\n`);
  else {
    for (const f of failed) opts.out.write(`  refused: ${f.node}: ${f.error}\n`);
    if (wait) opts.out.write(`${describeWait(wait)}\n`);
  }
  if (failed.length > 0) return EXIT.failed;
  return wait ? waitExitCode(wait) : EXIT.failed;
}
