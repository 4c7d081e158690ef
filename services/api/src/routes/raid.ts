import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { eq } from 'drizzle-orm';
import {
  isNoopInterface,
  nodeInterfaces,
  RAID_LOGICAL_DISK_PROPERTIES,
  targetRaidConfigProblem,
  type TargetRaidConfig,
} from '@ingot/contracts';
import { nodes, type NodeRow } from '@ingot/store';
import { requireVersion, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { unsupportedExtension } from '../driver-extensions.js';
import { badRequest } from '../errors.js';
import { hardwareOf } from '../node-fields.js';
import { DriverName, loadDriver } from './drivers.js';
import { loadNode, NodeIdent } from './nodes.js';

const TargetRaidConfigBody = Type.Record(Type.String(), Type.Unknown(), {
  description: 'the target RAID configuration ({"logical_disks": [...]}), or {} to clear it',
});

/**
 * Ironic's validate_raid_config of the node's RAID interface: no-raid refuses any configuration
 * (UnsupportedDriverExtension, which the API turns into a 404 "because RAID is a standard
 * interface and all drivers might not have it"); redfish checks it against the generic schema,
 * at most one root volume, and no scsi interface_type.
 */
function checkTargetRaidConfig(node: NodeRow, config: Record<string, unknown>): void {
  const raid = nodeInterfaces(hardwareOf(node.driver), node).raid;
  if (isNoopInterface(raid)) throw unsupportedExtension(node.driver, 'raid', 404);
  const problem = targetRaidConfigProblem(config);
  if (problem) throw badRequest(problem);
  // Only Redfish refuses scsi; the agent's software RAID takes any disk (Ironic's AgentRAID).
  if (
    raid === 'redfish' &&
    (config as TargetRaidConfig).logical_disks.some((d) => d.interface_type === 'scsi')
  )
    throw badRequest('interface type `scsi` not supported by Redfish RAID');
}

/**
 * RAID configuration (API 1.12): the node's target_raid_config, which the raid interface's
 * create_configuration clean step builds. A node whose raid_interface is no-raid takes only the
 * empty configuration (which clears it); Ironic's logical disk properties are its generic schema's.
 */
export function raidRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.put(
      '/v1/nodes/:node_ident/states/raid',
      { schema: { params: NodeIdent, body: TargetRaidConfigBody } },
      async (request, reply) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        requireVersion(request, V.RAID_CONFIG, 'setting the target RAID configuration');
        // Ironic validates a configuration with the node's RAID interface, but not an empty one,
        // which clears it.
        if (Object.keys(request.body).length > 0) checkTargetRaidConfig(node, request.body);
        await deps.db
          .update(nodes)
          .set({ targetRaidConfig: request.body, updatedAt: new Date() })
          .where(eq(nodes.uuid, node.uuid));
        return reply.status(204).send();
      },
    );

    app.get(
      '/v1/drivers/:driver_name/raid/logical_disk_properties',
      {
        schema: {
          params: DriverName,
          response: { 200: Type.Record(Type.String(), Type.String()) },
        },
      },
      async (request) => {
        requireVersion(request, V.RAID_CONFIG, 'RAID logical disk properties');
        await loadDriver(deps, request.params.driver_name);
        return RAID_LOGICAL_DISK_PROPERTIES;
      },
    );
  };
}
