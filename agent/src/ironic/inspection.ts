// In-band inspection: the inventory goes to the inspection callback before the lookup.
import type { ContinueInspectionBody } from '@ingot/contracts';
import type { AgentLogger } from '../log.js';
import type { Disk, Inventory } from '../inventory/types.js';
import { AgentStopped, sleep } from '../sleep.js';
import { HARDWARE_MANAGER_NAME, HARDWARE_MANAGER_VERSION } from '../hardware-manager.js';
import type { IronicClient } from './api-client.js';
import { ConnectionFailed } from './api-client.js';
import { asLookupResult } from './lookup.js';

export interface InspectionOutcome {
  /** The node the server matched, to pass to the lookup. */
  nodeUuid?: string;
  /** Ingot (as Ironic ≥ 1.84) hands out the agent token here; the later lookup then masks it. */
  token?: string;
}

const ATTEMPTS = 5;

/**
 * IPA's body: the inventory plus plugin data (root disk, boot interface, collectors used), and
 * the pregenerated token when the agent has one (Ingot requires it from a virtual-media boot).
 */
export function inspectionBody(
  inventory: Inventory,
  rootDisk: Disk | null,
  token?: string,
): ContinueInspectionBody {
  return {
    inventory,
    ...(token ? { agent_token: token } : {}),
    root_disk: rootDisk,
    boot_interface: inventory.boot.pxe_interface,
    configuration: {
      collectors: ['default'],
      managers: [{ name: HARDWARE_MANAGER_NAME, version: HARDWARE_MANAGER_VERSION }],
    },
    error: null,
  };
}

/**
 * Posts the inventory; connection errors and 5xx are retried a few times. A refusal (4xx) is
 * logged and the agent carries on with the lookup, as IPA does.
 */
export async function runInspection(
  client: IronicClient,
  url: string,
  body: ContinueInspectionBody,
  opts: { log: AgentLogger; retryDelayS: number; signal?: AbortSignal },
): Promise<InspectionOutcome> {
  let delayS = opts.retryDelayS;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    let why: string;
    try {
      const res = await client.postInspection(url, body);
      if (res.status === 200 || res.status === 202) {
        opts.log.info('inspection data accepted', { status: res.status });
        return outcomeOf(res.body);
      }
      if (res.status < 500) {
        opts.log.error('inspection refused, proceeding with lookup', {
          status: res.status,
          body: res.text.slice(0, 500),
        });
        return {};
      }
      why = `HTTP ${res.status}`;
    } catch (err) {
      if (!(err instanceof ConnectionFailed)) throw err;
      if (opts.signal?.aborted) throw new AgentStopped();
      why = err.message;
    }
    opts.log.warn('inspection callback failed', { attempt, reason: why });
    if (attempt < ATTEMPTS) await sleep(delayS * 1000, opts.signal);
    delayS = Math.min(delayS * 2, 30);
  }
  opts.log.error('inspection callback kept failing, proceeding with lookup');
  return {};
}

function outcomeOf(body: unknown): InspectionOutcome {
  const lookup = asLookupResult(body);
  const legacyUuid = (body as { uuid?: unknown } | null)?.uuid;
  const token = lookup?.config.agent_token;
  return {
    nodeUuid: lookup?.node.uuid ?? (typeof legacyUuid === 'string' ? legacyUuid : undefined),
    token: typeof token === 'string' ? token : undefined,
  };
}
