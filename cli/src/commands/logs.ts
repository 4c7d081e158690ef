import type { ApiClient } from '../client.js';

interface AgentLogLine {
  id: number;
  at: string;
  level: string;
  message: string;
  boot: string;
}

const POLL_MS = 2_000;

/** `ingot logs NODE [--follow]`: the agent's log lines of a node (GET /v1/nodes/{node}/agent_logs). */
export async function logs(
  client: ApiClient,
  opts: {
    node: string;
    follow: boolean;
    sinceId: number;
    json: boolean;
    out: NodeJS.WritableStream;
    signal: AbortSignal;
  },
): Promise<number> {
  let since = opts.sinceId;
  let lastBoot: string | undefined;
  const path = `/v1/nodes/${encodeURIComponent(opts.node)}/agent_logs`;
  for (;;) {
    const { body } = await client.json<{ agent_logs: AgentLogLine[] }>(
      'GET',
      `${path}?since_id=${since}&limit=1000`,
    );
    for (const line of body.agent_logs) {
      if (opts.json) opts.out.write(`${JSON.stringify(line)}\n`);
      else {
        if (line.boot !== lastBoot) opts.out.write(`--- boot ${line.boot}\n`);
        opts.out.write(`${line.at} ${line.level.toUpperCase().padEnd(7)} ${line.message}\n`);
      }
      lastBoot = line.boot;
      since = Math.max(since, line.id);
    }
    // A full page means more are waiting: read on at once.
    if (body.agent_logs.length === 1000) continue;
    if (!opts.follow || opts.signal.aborted) return 0;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (opts.signal.aborted) return 0;
  }
}
