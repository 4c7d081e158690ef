import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RAID_LOGICAL_DISK_PROPERTIES } from '@ingot/contracts';
import { requireVersion, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { unsupportedExtension } from '../driver-extensions.js';
import { DriverName, loadDriver } from './drivers.js';
import { loadNode, NodeIdent } from './nodes.js';

const TargetRaidConfig = Type.Record(Type.String(), Type.Unknown(), {
  description: 'the target RAID configuration ({"logical_disks": [...]}), or {} to clear it',
});

/**
 * RAID configuration (API 1.12). Every Ingot hardware type has no-raid: Ironic's no-raid lists the
 * generic logical disk properties (it inherits them from the base RAID interface) and refuses any
 * target configuration but the empty one (a 404, which Ironic gives RAID because not every driver
 * has it).
 */
export function raidRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.put(
      '/v1/nodes/:node_ident/states/raid',
      { schema: { params: NodeIdent, body: TargetRaidConfig } },
      async (request, reply) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        requireVersion(request, V.RAID_CONFIG, 'setting the target RAID configuration');
        // Ironic validates a configuration with the node's RAID interface, but not an empty one,
        // which clears it: the node's target_raid_config is {} already.
        if (Object.keys(request.body).length > 0)
          throw unsupportedExtension(node.driver, 'raid', 404);
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
