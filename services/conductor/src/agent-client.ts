import { SpanKind } from '@opentelemetry/api';
import pRetry, { AbortError } from 'p-retry';
import { setActiveSpanAttributes, withDetailSpan } from '@ingot/telemetry';
import { fetchAgent, PlainHttpRefused } from './agent-tls.js';

/** One command as the agent reports it (ironic-python-agent's command result). */
export interface AgentCommand {
  id: string;
  command_name: string;
  command_status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  command_error: unknown;
  command_result: Record<string, unknown> | null;
}

/** The agent answered nonsense, refused, or could not be reached; `message` suits last_error. */
export class AgentError extends Error {
  constructor(
    message: string,
    /** Could not reach it (it may be rebooting): try again at the next heartbeat. */
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

/**
 * Client of the agent's command API (ironic-python-agent's /v1/commands), with the one-time agent
 * token on every request. Like Ironic's agent_client: 60 s per request, 3 attempts on connection
 * errors, none on an answer; HTTPS pinned to the certificate the agent registered (agent-tls.ts).
 */
export class AgentClient {
  constructor(
    private readonly agentUrl: string,
    private readonly token: string,
    /** The agent's agent_verify_ca, when it heartbeated with one. */
    private readonly verifyCa: string | null = null,
    private readonly timeoutMs = 60_000,
  ) {}

  /** Starts `name` (e.g. clean.execute_clean_step); async commands come back RUNNING. */
  run(name: string, params: Record<string, unknown>, wait = false): Promise<AgentCommand> {
    return this.traced(`agent command ${name}`, 'POST', { 'ingot.agent.command': name }, () =>
      this.request('POST', `/v1/commands/?wait=${wait}`, { name, params }),
    ) as Promise<AgentCommand>;
  }

  /** The agent's commands and their status: how the conductor polls a running step. */
  async commands(): Promise<AgentCommand[]> {
    const body = (await this.traced('agent poll commands', 'GET', {}, () =>
      this.request('GET', '/v1/commands/'),
    )) as { commands?: AgentCommand[] };
    if (!Array.isArray(body.commands))
      throw new AgentError(`Agent at ${this.agentUrl} sent a command list without "commands"`);
    return body.commands;
  }

  /** A client span per call (OpenTelemetry's http.* conventions; the token is not in url.full). */
  private traced(
    name: string,
    method: string,
    attributes: Record<string, string>,
    call: () => Promise<unknown>,
  ): Promise<unknown> {
    return withDetailSpan(
      name,
      () => {
        const url = new URL(this.agentUrl);
        return {
          kind: SpanKind.CLIENT,
          attributes: {
            'http.request.method': method,
            'url.full': `${this.agentUrl.replace(/\/$/, '')}/v1/commands/`,
            'server.address': url.hostname,
            'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
            ...attributes,
          },
        };
      },
      call,
    );
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = new URL(path, this.agentUrl.endsWith('/') ? this.agentUrl : `${this.agentUrl}/`);
    url.searchParams.set('agent_token', this.token);
    const shown = `${this.agentUrl}${path.split('?')[0]}`;
    const response = await pRetry(
      async () => {
        try {
          return await fetchAgent(
            url,
            {
              method,
              headers: body === undefined ? {} : { 'content-type': 'application/json' },
              body: body === undefined ? undefined : JSON.stringify(body),
              signal: AbortSignal.timeout(this.timeoutMs),
            },
            this.verifyCa,
          );
        } catch (error) {
          if (error instanceof PlainHttpRefused)
            throw new AbortError(new AgentError(error.message));
          throw new AgentError(
            `Agent at ${this.agentUrl} could not be reached (${causeOf(error)})`,
            true,
          );
        }
      },
      { retries: 2, minTimeout: 500, factor: 2 },
    ).catch((error: unknown) => {
      throw error instanceof AbortError ? error.originalError : error;
    });
    setActiveSpanAttributes(() => ({ 'http.response.status_code': response.status }));
    const text = await response.text();
    if (!response.ok) {
      throw new AgentError(
        `Agent at ${this.agentUrl} answered ${method} ${shown} with HTTP ${response.status}: ${text.slice(0, 300)}`,
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AgentError(
        `Agent at ${this.agentUrl} answered ${method} ${shown} with something that is not JSON`,
      );
    }
  }
}

/** fetch says "fetch failed"; its cause says why (ECONNREFUSED, a TLS verification failure). */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code && cause.message && !cause.message.includes(cause.code))
    return `${cause.code}: ${cause.message}`;
  return cause?.code ?? cause?.message ?? (error as Error).name;
}
