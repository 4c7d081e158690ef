import { StepError } from '../operations/fail.js';
import { updateNode } from '../transition-node.js';
import {
  CREATE_CONFIGURATION_ARGSINFO,
  eventTypeOf,
  logicalDisksToCreate,
  pythonUtcNow,
  updatedCapabilities,
} from './raid-redfish.js';
import type { StepsInterface } from './types.js';

/** The result of the agent's command: clean_result, deploy_result or service_result. */
function agentResult(result: Record<string, unknown>): Record<string, unknown> | undefined {
  const value = result.clean_result ?? result.deploy_result ?? result.service_result;
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0
    ? (value as Record<string, unknown>)
    : undefined;
}

interface ReportedLogicalDisk {
  size_gb?: unknown;
  raid_level?: unknown;
  is_root_volume?: unknown;
  root_device_hint?: unknown;
}

/**
 * agent (Ironic's AgentRAID): the agent ramdisk builds the target's `controller: "software"`
 * logical disks with mdadm (create_configuration) or removes every software RAID device
 * (delete_configuration); the conductor sends the target, filtered by the step's arguments, and
 * records what the agent answers as Ironic's update_raid_info does.
 */
export const agentRaid: StepsInterface = {
  name: 'agent',
  steps: [],
  agentSteps: [
    {
      step: 'delete_configuration',
      priority: 0,
      argsinfo: {},
      // Ironic's _delete_configuration_final: no RAID left, and no root device hint naming one.
      async finished(ctx, leased, _result, requestId) {
        const { root_device: _gone, ...properties } = leased.node.properties;
        await updateNode(
          ctx,
          leased,
          { raidConfig: {}, properties },
          { eventType: eventTypeOf(leased), event: 'raid_config: no logical disks' },
          requestId,
        );
      },
    },
    {
      step: 'create_configuration',
      priority: 0,
      argsinfo: CREATE_CONFIGURATION_ARGSINFO,
      nodeFields: (leased, args) => ({
        target_raid_config: { logical_disks: logicalDisksToCreate(leased, args) },
      }),
      // Ironic's _create_configuration_final and update_raid_info.
      async finished(ctx, leased, result, requestId) {
        const config = agentResult(result);
        if (!config) {
          throw new StepError(
            `Agent ramdisk didn't return a proper command result while building RAID on ${leased.node.uuid}. It returned '${JSON.stringify(result)}' after command execution.`,
          );
        }
        const disks = (
          Array.isArray(config.logical_disks) ? config.logical_disks : []
        ) as ReportedLogicalDisk[];
        const root = disks.find((d) => d.is_root_volume === true);
        const properties = { ...leased.node.properties };
        if (root) {
          if (typeof root.size_gb === 'number') properties.local_gb = root.size_gb;
          if (root.root_device_hint) properties.root_device = root.root_device_hint;
          properties.capabilities = updatedCapabilities(properties.capabilities, {
            raid_level: String(root.raid_level),
          });
        }
        await updateNode(
          ctx,
          leased,
          { raidConfig: { ...config, last_updated: pythonUtcNow() }, properties },
          {
            eventType: eventTypeOf(leased),
            event: `raid_config: ${disks.map((d) => `RAID ${String(d.raid_level)} of ${String(d.size_gb)} GiB${d.is_root_volume ? ' (root volume)' : ''}`).join('; ')}`,
          },
          requestId,
        );
      },
    },
  ],
};
