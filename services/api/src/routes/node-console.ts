import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.js';
import { unsupportedExtension } from '../driver-extensions.js';
import { booleanFieldOf } from '../node-commands.js';
import { loadNode, NodeIdent } from './nodes.js';

const ConsoleState = Type.Object({
  console_enabled: Type.Boolean(),
  console_info: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});
const ConsoleModeBody = Type.Object(
  {
    enabled: Type.Union([Type.Boolean(), Type.String()], {
      description: 'true to start the console, false to stop it ("True"/"False" also)',
    }),
  },
  { additionalProperties: false },
);

/**
 * /v1/nodes/{node}/states/console. Every Ingot hardware type has no-console (hardware-types.ts),
 * so a console is never enabled: GET answers as Ironic for a node whose console is off, and PUT
 * gets what Ironic's no-console answers to set_console_mode (its validate refuses).
 */
export function nodeConsoleRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/nodes/:node_ident/states/console',
      { schema: { params: NodeIdent, response: { 200: ConsoleState } } },
      async (request) => {
        await loadNode(deps, request, request.params.node_ident);
        return { console_enabled: false, console_info: null };
      },
    );

    app.put(
      '/v1/nodes/:node_ident/states/console',
      { schema: { params: NodeIdent, body: ConsoleModeBody } },
      async (request) => {
        booleanFieldOf('enabled', request.body.enabled);
        const node = await loadNode(deps, request, request.params.node_ident);
        throw unsupportedExtension(node.driver, 'console');
      },
    );
  };
}
