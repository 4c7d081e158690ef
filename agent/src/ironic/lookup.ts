// Finding which node this machine is: GET /v1/lookup until Ironic answers, with backoff.
import type { AgentLookupResponse } from '@ingot/contracts';
import { AgentFatalError } from '../errors.js';
import type { AgentLogger } from '../log.js';
import type { NodeInfo } from '../node-info.js';
import { asNodeInfo } from '../node-info.js';
import { AgentStopped, sleep } from '../sleep.js';
import type { IronicClient } from './api-client.js';
import { ConnectionFailed } from './api-client.js';

export type LookupConfig = AgentLookupResponse['config'];

/** The lookup answer, its node checked to have a UUID. */
export interface LookupResult extends AgentLookupResponse {
  node: NodeInfo;
}

export interface LookupOptions {
  addresses: string[];
  nodeUuid?: string;
  timeoutS: number;
  /** First retry delay; doubles up to maxIntervalS. */
  intervalS: number;
  maxIntervalS?: number;
  log: AgentLogger;
  signal?: AbortSignal;
}

/**
 * Retries 404 (not enrolled yet, or not in a state that allows lookup), 5xx and connection
 * errors until the timeout, as IPA does; then gives up for good.
 */
export async function lookupNode(client: IronicClient, opts: LookupOptions): Promise<LookupResult> {
  const deadline = Date.now() + opts.timeoutS * 1000;
  let delayS = opts.intervalS;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw new AgentStopped();
    let why: string;
    try {
      const res = await client.lookup(opts.addresses, opts.nodeUuid);
      const result = asLookupResult(res.body);
      if (res.status === 200 && result) return result;
      why = res.status === 200 ? 'the answer has no node' : `HTTP ${res.status}`;
    } catch (err) {
      if (!(err instanceof ConnectionFailed)) throw err;
      if (opts.signal?.aborted) throw new AgentStopped();
      why = err.message;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new AgentFatalError(
        `lookup failed for ${opts.timeoutS} s (${attempt} attempts, last: ${why})`,
      );
    }
    opts.log.warn('lookup failed, retrying', { attempt, reason: why, retry_in_s: delayS });
    await sleep(Math.min(delayS * 1000, left), opts.signal);
    delayS = Math.min(delayS * 2, opts.maxIntervalS ?? 30);
  }
}

export function asLookupResult(body: unknown): LookupResult | undefined {
  const content = body as { node?: unknown; config?: unknown } | null;
  const node = asNodeInfo(content?.node);
  if (!node) return undefined;
  const config =
    typeof content?.config === 'object' && content.config !== null ? content.config : {};
  return { node, config: config as LookupConfig };
}
