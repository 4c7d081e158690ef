import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { NodeRow } from '@ingot/store';
import type { BmcCalls } from '../bmc-calls.js';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { hardwareOf } from '../node-fields.js';
import { DriverName, loadDriver } from './drivers.js';
import { queueVmedia } from './node-vmedia.js';
import { loadNode, NodeIdent } from './nodes.js';

/** Vendor methods by name, as Ironic's get_vendor_passthru_metadata describes them. */
const VendorMethodsSchema = Type.Record(
  Type.String(),
  Type.Object({
    async: Type.Boolean(),
    attach: Type.Boolean(),
    description: Type.String(),
    http_methods: Type.Array(Type.String()),
  }),
);

interface VendorMethod {
  async: boolean;
  attach: boolean;
  description: string;
  http_methods: string[];
  /** Carries the call out; `body` is passed through as Ironic's kwargs. */
  run: (call: {
    deps: ApiDeps;
    bmc: BmcCalls;
    node: NodeRow;
    requestId: string;
    body: Record<string, unknown>;
  }) => Promise<unknown>;
}

/** Redfish media types Ironic's eject_vmedia takes, and the device each is played on here. */
const EJECTABLE: Record<string, 'cd' | 'usb'> = { cd: 'cd', dvd: 'cd', usb: 'usb' };

/**
 * The node methods of each vendor interface. Ironic's redfish vendor interface also manages the
 * BMC's event subscriptions; Ingot does not offer those, so it lists only eject_vmedia.
 */
const NODE_METHODS: Record<string, Record<string, VendorMethod>> = {
  'no-vendor': {},
  redfish: {
    eject_vmedia: {
      async: true,
      attach: false,
      http_methods: ['POST'],
      description:
        "Eject a virtual media device. If no device is provided then all attached devices will be ejected. Optional arguments: 'boot_device' - the boot device to eject, either 'cd', 'dvd', 'usb', or 'floppy'",
      run: async ({ deps, bmc, node, requestId, body }) => {
        const named = body.boot_device;
        if (named !== undefined && named !== null && typeof named !== 'string') {
          throw badRequest('boot_device must be a string');
        }
        const device = named ? EJECTABLE[named] : undefined;
        if (named && !device) throw badRequest(`Boot device ${named} is not a valid value `);
        await queueVmedia(deps, bmc, node, requestId, 'eject_vmedia requested', {
          action: 'detach',
          devices: device ? [device] : ['cd', 'usb'],
        });
        return null;
      },
    },
  },
};

const metadataOf = (methods: Record<string, VendorMethod>) =>
  Object.fromEntries(
    Object.entries(methods).map(([name, { run: _run, ...metadata }]) => [name, metadata]),
  );

const methodsOf = (node: NodeRow): Record<string, VendorMethod> =>
  NODE_METHODS[hardwareOf(node.driver).interfaces.vendor] ?? {};

/**
 * Vendor passthru (Ironic's /vendor_passthru): the methods of a node's vendor interface and of a
 * hardware type, and calling a node's. A synchronous method answers 200 with its result, an
 * asynchronous one 202, as Ironic's vendor_passthru does. No hardware type has driver methods.
 */
export function vendorPassthruRoutes(deps: ApiDeps, bmc: BmcCalls): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/nodes/:node_ident/vendor_passthru/methods',
      { schema: { params: NodeIdent, response: { 200: VendorMethodsSchema } } },
      async (request) => {
        const node = await loadNode(deps, request, request.params.node_ident);
        return metadataOf(methodsOf(node));
      },
    );

    for (const httpMethod of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      app.route({
        method: httpMethod,
        url: '/v1/nodes/:node_ident/vendor_passthru',
        schema: {
          params: NodeIdent,
          querystring: Type.Object({ method: Type.Optional(Type.String()) }),
        },
        handler: async (request, reply) => {
          const name = request.query.method;
          if (!name) throw badRequest('Method not specified');
          const node = await loadNode(deps, request, request.params.node_ident);
          const vendor = hardwareOf(node.driver).interfaces.vendor;
          const method = Object.hasOwn(methodsOf(node), name) ? methodsOf(node)[name] : undefined;
          if (!method) {
            throw badRequest(
              `Unsupported method (${name}) passed to the ${vendor} vendor interface.`,
            );
          }
          if (!method.http_methods.includes(httpMethod)) {
            throw badRequest(
              `The method ${name} does not support HTTP ${httpMethod}; it supports ${method.http_methods.join(', ')}.`,
            );
          }
          const body = request.body;
          if (
            body !== undefined &&
            body !== null &&
            (typeof body !== 'object' || Array.isArray(body))
          ) {
            throw badRequest('The body of a vendor passthru call must be a JSON object');
          }
          const result = await method.run({
            deps,
            bmc,
            node,
            requestId: request.id,
            body: (body ?? {}) as Record<string, unknown>,
          });
          return reply.status(method.async ? 202 : 200).send(result);
        },
      });
    }

    app.get(
      '/v1/drivers/:driver_name/vendor_passthru/methods',
      { schema: { params: DriverName, response: { 200: VendorMethodsSchema } } },
      async (request) => {
        await loadDriver(deps, request.params.driver_name);
        return {};
      },
    );
  };
}
