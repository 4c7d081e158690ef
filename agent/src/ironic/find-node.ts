// Who am I: inspection (when configured), then lookup, then which token to use.
import type { AgentConfig } from '../config.js';
import type { TargetDisk } from '../disks/devices.js';
import { chooseRootDisk } from '../image/root-device.js';
import { lookupAddresses } from '../inventory/index.js';
import type { Disk, Inventory } from '../inventory/types.js';
import type { AgentLogger } from '../log.js';
import type { IronicClient } from './api-client.js';
import { inspectionBody, runInspection } from './inspection.js';
import type { LookupResult } from './lookup.js';
import { lookupNode } from './lookup.js';
import { chooseAgentToken, isUsableToken } from './token.js';

export interface FoundNode extends LookupResult {
  token: string;
}

export async function findNode(
  client: IronicClient,
  env: {
    config: AgentConfig;
    inventory: Inventory;
    disks: readonly TargetDisk[];
    log: AgentLogger;
    signal: AbortSignal;
  },
): Promise<FoundNode> {
  const { config, inventory, log, signal } = env;
  let nodeUuid = config.node_uuid;
  let token = config.agent_token;
  if (config.inspection_callback_url) {
    const body = inspectionBody(inventory, defaultRootDisk(env.disks), config.agent_token);
    const outcome = await runInspection(client, config.inspection_callback_url, body, {
      log,
      retryDelayS: config.lookup_interval_s,
      signal,
    });
    nodeUuid = nodeUuid ?? outcome.nodeUuid;
    // Ingot (as Ironic ≥ 1.84) may hand the one-time token out here; the lookup then masks it.
    if (isUsableToken(outcome.token)) {
      token = outcome.token;
      log.addSecret(token);
    }
  }
  const addresses = lookupAddresses(inventory);
  log.info('looking up the node', { addresses, node_uuid: nodeUuid });
  const found = await lookupNode(client, {
    addresses,
    nodeUuid,
    timeoutS: config.lookup_timeout_s,
    intervalS: config.lookup_interval_s,
    log,
    signal,
  });
  const chosen = chooseAgentToken(found.config.agent_token, token);
  log.addSecret(chosen);
  log.info('lookup succeeded', { node_uuid: found.node.uuid });
  return { ...found, token: chosen };
}

/** Reported to inspection as root_disk: where an image would go without hints. */
function defaultRootDisk(disks: readonly TargetDisk[]): Disk | null {
  try {
    return chooseRootDisk(disks, undefined, undefined).info;
  } catch {
    return null;
  }
}
