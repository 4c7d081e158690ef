import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.js';
import { nodeBiosRoutes } from './node-bios.js';
import { nodeConsoleRoutes } from './node-console.js';
import { nodeFirmwareRoutes } from './node-firmware.js';
import { nodeVifRoutes } from './node-vifs.js';
import { raidRoutes } from './raid.js';
import { volumeRoutes } from './volume.js';

/**
 * The endpoints of Ironic's optional interfaces (BIOS, console, RAID, vendor, storage) and of VIF
 * attachment, answered as Ironic answers for the implementations Ingot's hardware types have.
 */
export function optionalInterfaceRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    await app.register(nodeVifRoutes(deps));
    await app.register(nodeBiosRoutes(deps));
    await app.register(nodeConsoleRoutes(deps));
    await app.register(nodeFirmwareRoutes(deps));
    await app.register(raidRoutes(deps));
    await app.register(volumeRoutes(deps));
  };
}
