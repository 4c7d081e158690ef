import { Type } from '@sinclair/typebox';
import { StringEnum } from '@ingot/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  agentLogOf,
  agentTokenMatches,
  appendAgentLog,
  DEFAULT_AGENT_LOG_BOUND,
  findNode,
  type AgentLogBound,
  type AgentLogLine,
} from '@ingot/store';
import { redactLogLine } from '../agent-logs/redact-line.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, notFound } from '../errors.js';
import { NodeIdent } from './nodes.js';

const LEVELS = ['debug', 'info', 'warning', 'error'] as const;
const Level = StringEnum(LEVELS);
/** Longer lines are cut (the agent cuts at 8 KiB); the node's bound is 1 MiB in all. */
const MAX_MESSAGE_CHARS = 16 * 1024;
const MAX_BATCH_LINES = 500;
const DEFAULT_LIMIT = 1000;

const AgentLogBatch = Type.Object(
  {
    agent_token: Type.String({ minLength: 1, maxLength: 1024 }),
    boot: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:/+-]+$' }),
    lines: Type.Array(
      Type.Object(
        {
          at: Type.String({ format: 'date-time' }),
          level: Level,
          message: Type.String({ maxLength: MAX_MESSAGE_CHARS }),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_BATCH_LINES },
    ),
    /** Lines the agent dropped (its buffer was full) since its last accepted batch. */
    dropped: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const AgentLogQuery = Type.Object({
  since_id: Type.Optional(Type.Integer({ minimum: 0, description: 'lines after this id' })),
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: DEFAULT_AGENT_LOG_BOUND.maxLines,
      description: `at most this many lines (default ${DEFAULT_LIMIT})`,
    }),
  ),
});

const AgentLogEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  level: Level,
  message: Type.String(),
  boot: Type.String({ description: 'which ramdisk boot the line came from (opaque)' }),
});

const EXTENSION = 'Ingot extension (not in Ironic): ';

/**
 * Agent logs per node, an Ingot extension: the agent posts its lines in batches with its agent
 * token (as it heartbeats), the API stores them redacted and bounded per node, and whoever may
 * read the node reads them at GET /v1/nodes/{node}/agent_logs.
 */
export function agentLogRoutes(
  deps: ApiDeps,
  bound: AgentLogBound = DEFAULT_AGENT_LOG_BOUND,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/agent_logs/:node_ident',
      {
        schema: {
          description: `${EXTENSION}the agent ramdisk ships its log lines, authenticated with its agent token.`,
          params: NodeIdent,
          body: AgentLogBatch,
        },
        bodyLimit: 2 * 1024 * 1024,
      },
      async (request, reply) => {
        const node = await findNode(deps.db, request.params.node_ident);
        if (!node) throw notFound(`Node ${request.params.node_ident} could not be found.`);
        const batch = request.body;
        if (!agentTokenMatches(node.agentTokenHash, batch.agent_token))
          throw new ApiError(401, 'Invalid or missing agent token received.');
        const secrets = [batch.agent_token, ...nodeSecrets(node.instanceInfo)];
        const lines: AgentLogLine[] = batch.lines.map((line) => ({
          at: new Date(line.at),
          level: line.level,
          message: redactLogLine(line.message, secrets),
          boot: batch.boot,
        }));
        if (batch.dropped) {
          lines.unshift({
            at: lines[0]?.at ?? new Date(),
            level: 'warning',
            message: `${batch.dropped} earlier log lines were dropped by the agent: its buffer was full while the API could not be reached`,
            boot: batch.boot,
          });
        }
        await appendAgentLog(deps.db, node.uuid, lines, bound);
        return reply.status(204).send();
      },
    );

    app.get(
      '/v1/nodes/:node_ident/agent_logs',
      {
        schema: {
          description: `${EXTENSION}what the agent ramdisk logged on this node, oldest first, secrets redacted; the newest ${bound.maxLines} lines (1 MiB) are kept.`,
          params: NodeIdent,
          querystring: AgentLogQuery,
          response: { 200: Type.Object({ agent_logs: Type.Array(AgentLogEntry) }) },
        },
      },
      async (request) => {
        // An extension: a node's name works at every microversion.
        const node = await findNode(deps.db, request.params.node_ident);
        if (!node) throw notFound(`Node ${request.params.node_ident} could not be found.`);
        const rows = await agentLogOf(deps.db, node.uuid, {
          sinceId: request.query.since_id,
          limit: request.query.limit ?? DEFAULT_LIMIT,
        });
        return {
          agent_logs: rows.map((row) => ({
            id: row.id,
            at: row.at.toISOString(),
            level: row.level,
            message: row.message,
            boot: row.boot,
          })),
        };
      },
    );
  };
}

/** Secrets the node gave its agent that a line might quote: the rescue password and its hash. */
function nodeSecrets(instanceInfo: Record<string, unknown>): string[] {
  return ['rescue_password', 'hashed_rescue_password']
    .map((key) => instanceInfo[key])
    .filter((value): value is string => typeof value === 'string');
}
