import { Type, type Static } from '@sinclair/typebox';

/**
 * The HTTP protocol between a ramdisk agent (ironic-python-agent, or Ingot's agent) and the
 * API: lookup, heartbeat, and the agent's command results the conductor polls. Shapes follow
 * ironic/api/controllers/v1/ramdisk.py and ironic_python_agent/extensions/base.py.
 */
const open = { additionalProperties: true } as const;

/** POST /v1/heartbeat/{node}. */
export const AgentHeartbeatBodySchema = Type.Object(
  {
    /** Where the conductor reaches the agent's command API, e.g. http://10.0.0.5:9999. */
    callback_url: Type.String({ minLength: 1 }),
    agent_version: Type.Optional(Type.String()),
    agent_token: Type.Optional(Type.String()),
    agent_verify_ca: Type.Optional(Type.String()),
    agent_status: Type.Optional(Type.String()),
    agent_status_message: Type.Optional(Type.String()),
  },
  open,
);
export type AgentHeartbeatBody = Static<typeof AgentHeartbeatBodySchema>;

/** The answer of GET /v1/lookup (and of continue_inspection): the node and the agent's config. */
export const AgentLookupResponseSchema = Type.Object(
  {
    node: Type.Object(
      {
        uuid: Type.String({ minLength: 1 }),
        properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        instance_info: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        driver_internal_info: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      open,
    ),
    config: Type.Object(
      {
        agent_token: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        agent_token_required: Type.Optional(Type.Boolean()),
        heartbeat_timeout: Type.Optional(Type.Number()),
      },
      open,
    ),
  },
  open,
);
export type AgentLookupResponse = Static<typeof AgentLookupResponseSchema>;

export const AGENT_COMMAND_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type AgentCommandStatus = (typeof AGENT_COMMAND_STATUSES)[number];

/** One command of the agent's GET /v1/commands, or the answer of POST /v1/commands. */
export interface AgentCommandResult {
  id: string;
  command_name: string;
  command_params: Record<string, unknown>;
  command_status: AgentCommandStatus;
  /** IPA's serialized exception ({type, code, message, details}) when FAILED. */
  command_error: unknown;
  command_result: unknown;
}
