import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.js';
import { DriverName, loadDriver } from './drivers.js';
import { loadNode, NodeIdent } from './nodes.js';

/** Vendor methods by name, as Ironic's get_vendor_passthru_metadata describes them. */
const VendorMethods = Type.Record(
  Type.String(),
  Type.Object({
    async: Type.Boolean(),
    attach: Type.Boolean(),
    description: Type.String(),
    http_methods: Type.Array(Type.String()),
  }),
);

/**
 * The vendor passthru methods of a node and of a hardware type. Every Ingot hardware type has
 * no-vendor, which has no methods: Ironic lists none ({}).
 */
export function vendorPassthruRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/nodes/:node_ident/vendor_passthru/methods',
      { schema: { params: NodeIdent, response: { 200: VendorMethods } } },
      async (request) => {
        await loadNode(deps, request, request.params.node_ident);
        return {};
      },
    );

    app.get(
      '/v1/drivers/:driver_name/vendor_passthru/methods',
      { schema: { params: DriverName, response: { 200: VendorMethods } } },
      async (request) => {
        await loadDriver(deps, request.params.driver_name);
        return {};
      },
    );
  };
}
