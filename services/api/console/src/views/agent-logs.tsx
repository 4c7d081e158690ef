import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { time } from '../format.js';
import { fetchAgentLogs, type AgentLogLine } from '../nodes.js';

/** Keeps at most this many lines in the page (the API keeps its own bounded history). */
const KEEP = 5000;

/**
 * The agent's log lines (GET /v1/nodes/{node}/agent_logs), fetched again whenever `tick` changes
 * (an event of the node, or a timer while it works), from the last line seen.
 */
export function AgentLogs({ uuid, tick }: { uuid: string; tick: number }) {
  const [lines, setLines] = useState<AgentLogLine[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const lastId = useRef(0);
  useEffect(() => {
    lastId.current = 0;
    setLines([]);
  }, [uuid]);
  useEffect(() => {
    let cancelled = false;
    fetchAgentLogs(uuid, lastId.current)
      .then((fresh) => {
        if (cancelled) return;
        setProblem(null);
        if (fresh.length === 0) return;
        lastId.current = fresh[fresh.length - 1]!.id;
        setLines((old) => [...old, ...fresh].slice(-KEEP));
      })
      .catch((error: unknown) => {
        if (cancelled) return;
        setProblem(
          error instanceof ApiError && error.status === 404
            ? 'This API does not serve agent logs (GET /v1/nodes/{node}/agent_logs answered 404).'
            : `The agent logs could not be read: ${(error as Error).message}`,
        );
      });
    return () => {
      cancelled = true;
    };
  }, [uuid, tick]);
  if (problem) return <p class="muted">{problem}</p>;
  if (lines.length === 0) return <p class="muted">The agent has sent no logs for this node.</p>;
  return (
    <pre class="agent-logs" data-testid="agent-logs">
      {lines.map((line) => (
        <div key={line.id} class={`log log-${line.level}`}>
          <span class="muted">{time(line.at)}</span> <span class="level">{line.level}</span>{' '}
          {line.message}
        </div>
      ))}
    </pre>
  );
}
