import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { eq } from 'drizzle-orm';
import { nodes, type NodeRow } from '@ingot/store';
import { requireEndpoint, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../errors.js';
import { loadNode, NodeIdent } from './nodes.js';

/** Ironic's MAX_TRAITS_PER_NODE. */
const MAX_TRAITS = 50;
/**
 * A custom trait (CUSTOM_ and A-Z, 0-9, _) or one shaped like os-traits' standard ones; Ingot does
 * not carry the os-traits catalogue, so a standard name is not checked against it.
 */
const TRAIT = /^(CUSTOM_[A-Z0-9_]+|[A-Z][A-Z0-9_]*)$/;

function checkTrait(trait: string): void {
  if (trait.length > 255 || !TRAIT.test(trait)) {
    throw badRequest(
      `Invalid trait '${trait}'. A valid trait must be no longer than 255 characters. A custom trait must start with the prefix CUSTOM_ and use the following characters: A-Z, 0-9 and _`,
    );
  }
}

function checkCount(node: NodeRow, traits: readonly string[]): void {
  if (traits.length > MAX_TRAITS) {
    throw badRequest(
      `Could not set traits of node ${node.uuid}: a node may have at most ${MAX_TRAITS} traits, ${traits.length} were given`,
    );
  }
}

const TraitParams = Type.Object({
  node_ident: Type.String({ minLength: 1, maxLength: 255 }),
  trait: Type.String({ minLength: 1, maxLength: 255 }),
});

/** /v1/nodes/{node}/traits (API 1.37): the node's traits, as Ironic lists, sets and removes them. */
export function nodeTraitRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const save = (node: NodeRow, traits: string[]) =>
      deps.db
        .update(nodes)
        .set({ traits: [...new Set(traits)].sort(), updatedAt: new Date() })
        .where(eq(nodes.uuid, node.uuid));
    /** The node's traits become `traits`, each checked, within the per-node limit. */
    const replace = async (node: NodeRow, traits: string[]) => {
      traits.forEach(checkTrait);
      checkCount(node, [...new Set(traits)]);
      await save(node, traits);
    };

    app.get('/v1/nodes/:node_ident/traits', { schema: { params: NodeIdent } }, async (request) => {
      requireEndpoint(request, V.TRAITS);
      const node = await loadNode(deps, request, request.params.node_ident);
      return { traits: node.traits };
    });

    app.put(
      '/v1/nodes/:node_ident/traits',
      {
        schema: {
          params: NodeIdent,
          body: Type.Object({ traits: Type.Array(Type.String()) }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        requireEndpoint(request, V.TRAITS);
        const node = await loadNode(deps, request, request.params.node_ident);
        await replace(node, request.body.traits);
        return reply.status(204).send();
      },
    );

    app.put(
      '/v1/nodes/:node_ident/traits/:trait',
      { schema: { params: TraitParams } },
      async (request, reply) => {
        requireEndpoint(request, V.TRAITS);
        const node = await loadNode(deps, request, request.params.node_ident);
        await replace(node, [...node.traits, request.params.trait]);
        return reply.status(204).send();
      },
    );

    app.delete(
      '/v1/nodes/:node_ident/traits',
      { schema: { params: NodeIdent } },
      async (request, reply) => {
        requireEndpoint(request, V.TRAITS);
        const node = await loadNode(deps, request, request.params.node_ident);
        await save(node, []);
        return reply.status(204).send();
      },
    );

    app.delete(
      '/v1/nodes/:node_ident/traits/:trait',
      { schema: { params: TraitParams } },
      async (request, reply) => {
        requireEndpoint(request, V.TRAITS);
        const node = await loadNode(deps, request, request.params.node_ident);
        const trait = request.params.trait;
        if (!node.traits.includes(trait))
          throw notFound(`Node ${node.uuid} doesn't have a trait '${trait}'`);
        await save(
          node,
          node.traits.filter((t) => t !== trait),
        );
        return reply.status(204).send();
      },
    );
  };
}
