import { randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { validateContinueInspectionBody } from '@ingot/inventory';
import { LOOKUP_ALLOWED_STATES } from '@ingot/lifecycle';
import {
  agentTokenColumns,
  agentTokenMatches,
  enqueueOutbox,
  findNode,
  newAgentToken,
  nodes,
  ports,
  writeNodeRow,
  type NodeRow,
} from '@ingot/store';
import { traceHeaders } from '@ingot/bus';
import { requireEndpoint, V } from '../api-version.js';
import { checkAgentTls } from '../agent-tls.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, badRequest, notFound } from '../errors.js';
import { conductorCommand } from '../node-commands.js';
import { parseUntypedBodiesAsJson } from './untyped-json.js';

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;
const BAD_TOKEN = 'Invalid or missing agent token received.';
/** States whose heartbeats move an operation on; in others a heartbeat only proves the agent alive. */
const DRIVEN_BY_HEARTBEAT = new Set([
  'clean wait',
  'wait call-back',
  'service wait',
  'rescue wait',
]);
const INSPECTION_STATES = new Set(['inspect wait', 'inspecting']);
/**
 * ironic-python-agent's default collectors add its journal and logs (base64 tar.gz) to the
 * inspection data, which easily passes Fastify's 1 MiB default.
 */
const INSPECTION_BODY_LIMIT = 32 * 1024 * 1024;

const LookupQuery = Type.Object({
  addresses: Type.Optional(Type.String()),
  node_uuid: Type.Optional(Type.String()),
});
const HeartbeatBody = Type.Object(
  {
    callback_url: Type.String({ minLength: 1 }),
    agent_version: Type.Optional(Type.String()),
    // IPA sends null when it has no token: answered as a missing token, not a schema error.
    agent_token: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    agent_verify_ca: Type.Optional(Type.String()),
    // Ironic's AGENT_VALID_STATES (sent by the anaconda deploy).
    agent_status: Type.Optional(Type.Union(['start', 'end', 'error'].map((s) => Type.Literal(s)))),
    agent_status_message: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
const InspectionQuery = Type.Object({ node_uuid: Type.Optional(Type.String()) });

export interface AgentApiOptions {
  /** Sent to agents in the lookup answer; they heartbeat at 30–60 % of it. */
  heartbeatTimeoutS: number;
  /** Inspection data for a node with a pregenerated token must carry it (see acceptInspection). */
  inspectionTokenRequired: boolean;
  /** Only https callback URLs (Ironic's [agent]require_tls). */
  requireTls: boolean;
}

/**
 * The endpoints ironic-python-agent (and Ingot's agent) call: lookup, heartbeat and
 * continue_inspection, with Ironic's status codes, which the agent's retry logic depends on.
 */
export function agentRoutes(deps: ApiDeps, opts: AgentApiOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    /** The answer of lookup and continue_inspection: the node's public parts and the agent's config. */
    const lookupBody = (node: NodeRow, token: string) => ({
      node: {
        uuid: node.uuid,
        properties: node.properties,
        instance_info: maskInstanceInfo(node.instanceInfo),
        driver_internal_info: {},
      },
      config: {
        agent_token: token,
        agent_token_required: true,
        heartbeat_timeout: opts.heartbeatTimeoutS,
        agent_md5_checksum_enable: false,
        permitted_image_formats: ['raw', 'qcow2'],
        disable_deep_image_inspection: false,
      },
    });

    /**
     * Hands out the token once; later callers (or a pregenerated token) get Ironic's mask. Only
     * its hash and a sealed copy are stored, so this answer is the one place it is seen in clear.
     */
    async function issueToken(node: NodeRow): Promise<string> {
      if (node.agentTokenHash) return '******';
      const token = newAgentToken();
      const updated = await deps.db
        .update(nodes)
        .set({ ...agentTokenColumns(deps.secrets, token), agentTokenPregenerated: false })
        .where(and(eq(nodes.uuid, node.uuid), isNull(nodes.agentTokenHash)))
        .returning({ uuid: nodes.uuid });
      return updated.length === 1 ? token : '******';
    }

    async function nodeByAddresses(macs: string[]): Promise<NodeRow | undefined> {
      if (macs.length === 0) return undefined;
      const owners = await deps.db
        .selectDistinct({ uuid: ports.nodeUuid })
        .from(ports)
        .where(inArray(ports.address, macs));
      if (owners.length !== 1) return undefined; // none, or MACs of several nodes: ambiguous
      return findNode(deps.db, owners[0]!.uuid);
    }

    app.get('/v1/lookup', { schema: { querystring: LookupQuery } }, async (request) => {
      requireEndpoint(request, V.LOOKUP_HEARTBEAT);
      const macs = (request.query.addresses ?? '')
        .split(',')
        .map((a) => a.trim().toLowerCase())
        .filter((a) => MAC.test(a));
      const uuid = request.query.node_uuid;
      if (macs.length === 0 && !uuid) {
        throw badRequest('Lookup needs valid MAC addresses in "addresses" or a "node_uuid"');
      }
      const node = uuid ? await findNode(deps.db, uuid) : await nodeByAddresses(macs);
      // The same 404 for "unknown" and "not now", as Ironic does, so a probe learns nothing.
      if (!node || !LOOKUP_ALLOWED_STATES.has(node.provisionState))
        throw notFound('Node could not be found.');
      // The agent of this boot made contact: the conductor tells by this a ramdisk that never came
      // up from an agent that came up and died (one statement; the conductor clears it at a boot).
      await writeNodeRow(deps.db, { uuid: node.uuid, set: { agentContactAt: new Date() } });
      return lookupBody(node, await issueToken(node));
    });

    app.post(
      '/v1/heartbeat/:node_ident',
      { schema: { params: Type.Object({ node_ident: Type.String() }), body: HeartbeatBody } },
      async (request, reply) => {
        requireEndpoint(request, V.LOOKUP_HEARTBEAT);
        const node = await findNode(deps.db, request.params.node_ident);
        if (!node) throw notFound(`Node ${request.params.node_ident} could not be found.`);
        const body = request.body;
        if (!agentTokenMatches(node.agentTokenHash, body.agent_token)) {
          throw new ApiError(401, BAD_TOKEN);
        }
        if (!body.agent_version) {
          throw badRequest('Field agent_version is required: the agent is too old, update it');
        }
        if (!/^https?:\/\/[^/\s]+/.test(body.callback_url)) {
          throw badRequest(`Field callback_url must be an http(s) URL, got '${body.callback_url}'`);
        }
        const verifyCa = checkAgentTls(request.apiMinor, body, node, opts.requireTls);
        if (node.agentUrl && node.agentUrl !== body.callback_url) {
          throw badRequest(
            `Field callback_url '${body.callback_url}' does not match the agent URL registered for this operation`,
          );
        }
        await deps.db.transaction(async (tx) => {
          // Compare-and-set on what was checked above: a conductor may have issued a new token or
          // cleared the URL for a reboot meanwhile, and the late heartbeat of the agent it just
          // killed must not pin that agent's URL for the next one.
          const [pinned] = await tx
            .update(nodes)
            .set({
              agentUrl: body.callback_url,
              // Pinned with the URL by the first heartbeat; later ones were checked against it.
              ...(node.agentUrl ? {} : { agentVerifyCa: verifyCa ?? null }),
              agentVersion: body.agent_version,
              agentLastHeartbeat: new Date(),
            })
            .where(
              and(
                eq(nodes.uuid, node.uuid),
                eq(nodes.agentTokenHash, node.agentTokenHash!),
                node.agentUrl ? eq(nodes.agentUrl, node.agentUrl) : isNull(nodes.agentUrl),
                node.agentVerifyCa
                  ? eq(nodes.agentVerifyCa, node.agentVerifyCa)
                  : isNull(nodes.agentVerifyCa),
              ),
            )
            .returning({ uuid: nodes.uuid });
          if (!pinned) {
            throw new ApiError(
              409,
              'The node changed while this heartbeat was handled (a new agent boot); retry',
            );
          }
          if (DRIVEN_BY_HEARTBEAT.has(node.provisionState) && !node.maintenance) {
            await enqueueOutbox(tx, [
              conductorCommand(deps, node, request.id, {
                type: 'node.heartbeat',
                payload: { agent_url: body.callback_url, agent_version: body.agent_version! },
              }),
            ]);
          }
        });
        return reply.status(202).send();
      },
    );

    /**
     * Checks the inspection data, then queues it for the inspector and returns the node it
     * belongs to. The node is found by node_uuid (an Ingot extension at every version) or by the
     * inventory's MACs. Refusals come in Ironic's order: malformed data (400) before the node is
     * looked for, as Ironic's DATA_VALIDATOR runs first; then one 404 for "unknown" and "not
     * inspecting"; the token last, as only a known node has one to compare.
     */
    async function acceptInspection(
      request: Pick<FastifyRequest, 'id' | 'log' | 'body'> & {
        query: Static<typeof InspectionQuery>;
      },
    ): Promise<NodeRow> {
      // What the inspector would fail the node for is refused here instead: the node keeps
      // waiting for its ramdisk to send better data (or for its deadline).
      const valid = validateContinueInspectionBody(request.body);
      if (!valid.ok) {
        request.log.warn(
          { node_uuid: request.query.node_uuid, problems: valid.message },
          'inspection data refused',
        );
        throw badRequest(valid.message);
      }
      // Ironic keeps the ramdisk logs apart from plugin_data; Ingot does not store them at all,
      // and they would not fit in a bus message. The token is compared, never stored.
      const { inventory, logs, agent_token: token, ...pluginData } = valid.body;
      const macs = inventory.interfaces.map((i) => i.mac_address.toLowerCase());
      const node = request.query.node_uuid
        ? await findNode(deps.db, request.query.node_uuid)
        : await nodeByAddresses(macs);
      if (!node || !INSPECTION_STATES.has(node.provisionState))
        throw notFound('Node could not be found.');
      // A virtual-media boot put the token on the ISO, so only that ramdisk can prove its data is
      // this node's. Stock IPA sends no token with its inspection data: with
      // INGOT_INSPECTION_TOKEN_REQUIRED=false a missing one is let through, as Ironic does, but a
      // token that is sent must still be the right one.
      const tokenNeeded = opts.inspectionTokenRequired || token != null;
      if (
        node.agentTokenPregenerated &&
        tokenNeeded &&
        !agentTokenMatches(node.agentTokenHash, token)
      ) {
        throw new ApiError(401, BAD_TOKEN);
      }
      if (typeof logs === 'string') {
        request.log.info(
          { node_uuid: node.uuid, bytes: logs.length },
          'ramdisk logs sent with the inspection data are not kept',
        );
      }
      const id = randomBytes(16).toString('hex');
      await enqueueOutbox(deps.db, [
        {
          id,
          subject: deps.bus.subjects.inspector(node.conductorGroup),
          headers: traceHeaders(),
          payload: {
            id,
            type: 'inspection.process',
            site: node.conductorGroup,
            node_uuid: node.uuid,
            request_id: request.id,
            issued_at: new Date().toISOString(),
            payload: { inventory, plugin_data: pluginData },
          },
        },
      ]);
      return node;
    }

    const inspectionRoutes: FastifyPluginAsyncTypebox = async (inspection) => {
      parseUntypedBodiesAsJson(inspection);
      // The body is checked by acceptInspection, with the inspector's schema and wording.
      const schema = { querystring: InspectionQuery };

      inspection.post(
        '/v1/continue_inspection',
        { schema, bodyLimit: INSPECTION_BODY_LIMIT },
        async (request, reply) => {
          // From 1.84, and at 1.1 (no version header, as every IPA posts) as a drop-in for
          // ironic-inspector's API.
          if (request.apiMinor !== 1) requireEndpoint(request, V.CONTINUE_INSPECTION);
          const node = await acceptInspection(request);
          // At 1.1 Ironic answers as the inspector did and hands out no token: IPA reads only
          // `uuid` here and gets its token from the lookup that follows.
          if (request.apiMinor < V.CONTINUE_INSPECTION)
            return reply.status(202).send({ uuid: node.uuid });
          return reply.status(202).send(lookupBody(node, await issueToken(node)));
        },
      );

      // ironic-inspector's callback (its port 5050), for ramdisks whose
      // ipa-inspection-callback-url still points there: the same data, inspector's 200 answer.
      inspection.post(
        '/v1/continue',
        { schema, bodyLimit: INSPECTION_BODY_LIMIT },
        async (request, reply) => {
          const node = await acceptInspection(request);
          return reply.status(200).send({ uuid: node.uuid });
        },
      );
    };
    await app.register(inspectionRoutes);
  };
}

/**
 * Config drives carry user data, which may hold secrets, and the rescue password's hash is one
 * (Ironic's mask_dict_password): never shown back.
 */
export function maskInstanceInfo(info: Record<string, unknown>): Record<string, unknown> {
  const masked = { ...info };
  for (const key of ['configdrive', 'hashed_rescue_password', 'rescue_password'])
    if (key in masked) masked[key] = '******';
  return masked;
}
